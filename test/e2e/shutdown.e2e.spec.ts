/**
 * Graceful shutdown (spec/operations.md §2). A node runs as its own process (from its TypeScript sources, as
 * `npm start` runs the build) under a stream of concurrent commands on two corridors, and receives SIGTERM:
 * - it exits 0, within the configured bound;
 * - no accepted connection is reset: every request gets an answer — 201 (accepted before the drain), 503
 *   `shutting-down` with Retry-After (arrived during it) — or is refused at connect once the port is closed;
 * - reads are served during the drain, and readiness turns 503 at once;
 * - after a restart on the same files every 201 is in its chain, nothing refused is, and each chain verifies:
 *   every receipt's next_root recomputes, links to the previous one (the first to the genesis root), and carries
 *   the node's valid signature. Idempotency keys behave: an accepted key replays, a refused one applies once.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { computeNextRoot, verifyProofs } from '@corridor/protocol';
import { freePort, sleep, waitFor } from '../support/infra';
import { spawnManaged, type ExitStatus, type ManagedProcess } from '../support/infra/process';
import { buildExampleCorridor } from '../support/example-corridor';

jest.setTimeout(240_000);

const TS_REGISTER = resolve(__dirname, '..', '..', 'libs', 'ledger', 'worker', 'ts-register.js');
const NODE_MAIN = resolve(__dirname, '..', '..', 'apps', 'node', 'src', 'main.ts');
const BOUND_MS = 15_000;
/** Long enough for the observers below to see the drain even on a loaded machine. */
const DRAIN_MS = 1500;
const WRITERS_PER_CORRIDOR = 6;
const CORRIDORS = ['org.example.shutdown-a', 'org.example.shutdown-b'];
/** Operator credentials, for a node that requires them on commands (the header is ignored otherwise). */
const TOKEN = 'shutdown-e2e-operator-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

interface Answer {
  kind: 'answer';
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
  at: number;
}
interface Failure {
  kind: 'error';
  code: string;
  message: string;
  at: number;
}
type Outcome = Answer | Failure;

/** One request on its own connection (no keep-alive pool: a pooled idle connection is not the node's to answer). */
function send(url: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((done) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url + path, { method, agent: false, timeout: 30_000, headers: { ...AUTH, ...headers, ...(text ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (data += d));
      res.on('end', () => {
        let parsed: unknown;
        try {
          parsed = data ? JSON.parse(data) : undefined;
        } catch {
          parsed = undefined;
        }
        done({ kind: 'answer', status: res.statusCode!, headers: res.headers, text: data, body: parsed, at: Date.now() });
      });
      res.on('error', (e: NodeJS.ErrnoException) => done({ kind: 'error', code: e.code ?? 'ERROR', message: e.message, at: Date.now() }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => done({ kind: 'error', code: e.code ?? 'ERROR', message: e.message, at: Date.now() }));
    req.end(text);
  });
}

/** The node as a child process on a fixed data folder and port, restartable. */
class NodeProcessUnderTest {
  readonly dataDir = mkdtempSync(join(tmpdir(), 'corridor-shutdown-'));
  url = '';
  proc: ManagedProcess | undefined;
  out = '';

  async start(): Promise<void> {
    const port = this.url ? Number(new URL(this.url).port) : await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.proc = spawnManaged('node-shutdown', process.execPath, ['-r', TS_REGISTER, NODE_MAIN], {
      env: {
        ...process.env,
        CORRIDOR_JURISDICTION: 'PK',
        CORRIDOR_DATA_DIR: this.dataDir,
        CORRIDOR_HTTP_HOST: '127.0.0.1',
        CORRIDOR_HTTP_PORT: String(port),
        CORRIDOR_OPERATOR_TOKENS: JSON.stringify({ ops: createHash('sha256').update(TOKEN).digest('hex') }),
        CORRIDOR_SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
        CORRIDOR_SHUTDOWN_TIMEOUT_MS: String(BOUND_MS),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.child.stdout?.on('data', (d: Buffer) => (this.out += d.toString()));
    this.proc.child.stderr?.on('data', (d: Buffer) => (this.out += d.toString()));
    await waitFor(
      async () => {
        if (this.proc!.exitStatus() !== undefined) throw new Error(`the node exited while starting:\n${this.out}`);
        const r = await send(this.url, 'GET', '/health/ready');
        return r.kind === 'answer' && r.status === 200;
      },
      { timeoutMs: 90_000, intervalMs: 200, what: 'the node to be ready' },
    );
  }

  /** SIGTERM; resolves with the exit status and how long the process took to exit. */
  async terminate(): Promise<{ status: ExitStatus; ms: number }> {
    const t0 = Date.now();
    this.proc!.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const status = await Promise.race([
      this.proc!.exited,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no exit within ${BOUND_MS + 10_000} ms:\n${this.out.slice(-5000)}`)), BOUND_MS + 10_000))),
    ]).finally(() => clearTimeout(timer));
    return { status, ms: Date.now() - t0 };
  }

  async api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const r = await send(this.url, method, path, body, headers);
    if (r.kind !== 'answer') throw new Error(`${method} ${path}: ${r.code} ${r.message}`);
    return r;
  }
}

interface Command {
  corridor: string;
  key: string;
  body: unknown;
  outcome: Outcome;
  sentAt: number;
}

async function allReceipts(node: NodeProcessUnderTest, prefix: string): Promise<any[]> {
  const out: any[] = [];
  for (let after = -1; ; ) {
    const r = await node.api('GET', `${prefix}/receipts?after=${after}&limit=1000`);
    expect(r.status).toBe(200);
    out.push(...r.body.receipts);
    if (r.body.receipts.length < 1000) return out;
    after = r.body.receipts[r.body.receipts.length - 1].sequence;
  }
}

/** The chain verifies: sequences from 0, next_root recomputes, prev_root links, the node's signature is valid. */
function verifyChain(receipts: any[], genesisRoot: string | undefined, nodeDid: string): void {
  receipts.forEach((r, i) => {
    expect(r.sequence).toBe(i);
    expect(computeNextRoot(r)).toBe(r.next_root);
    if (i > 0) expect(r.prev_root).toBe(receipts[i - 1].next_root);
    else if (genesisRoot !== undefined) expect(r.prev_root).toBe(genesisRoot);
    const signers = verifyProofs(r).filter((p) => p.ok).map((p) => p.verificationMethod.split('#')[0]);
    expect(signers).toContain(nodeDid);
  });
}

describe('graceful shutdown on SIGTERM', () => {
  const node = new NodeProcessUnderTest();
  afterAll(async () => {
    await node.proc?.stop(5000);
  });

  it('answers every request it accepted, exits 0 within the bound, and loses or half-applies nothing', async () => {
    await node.start();
    const nodeDid = (await node.api('GET', '/node')).body.did as string;
    for (const id of CORRIDORS) {
      const c = buildExampleCorridor({ corridorId: id, seed: id, issuedAt: '2026-01-01T00:00:00Z' });
      for (const [path, body] of [
        ['/corridors', c.requests.create],
        [`/corridors/${id}/submit`, c.requests.submit],
        [`/corridors/${id}/activate`, c.requests.activate],
      ] as const) {
        const r = await node.api('POST', path, body);
        if (r.status !== 201) throw new Error(`${path} answered ${r.status}: ${r.text}`);
      }
    }

    // The load: writers post transitions until the node says 503 (they leave, as Retry-After asks) or is gone.
    let sigtermAt = Number.POSITIVE_INFINITY;
    const commands: Command[] = [];
    const writer = async (corridor: string, w: number) => {
      for (let i = 0; ; i++) {
        const key = `${corridor.slice(-1)}-w${w}-${i}`;
        const sentAt = Date.now();
        const body = { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: key, amount: `${100 + i}.00`, currency: 'USD' } } };
        const outcome = await send(node.url, 'POST', `/corridors/${corridor}/transitions`, body, { 'idempotency-key': key });
        commands.push({ corridor, key, body, outcome, sentAt });
        if (outcome.kind === 'error' || outcome.status !== 201) return;
      }
    };
    // Readers: corridor reads and readiness; once readiness says 503 they read a few more times and leave (what a
    // load balancer does when a backend turns unready).
    const reads: { path: string; outcome: Outcome; sentAt: number }[] = [];
    const reader = async (corridor: string) => {
      let afterUnready = -1;
      while (afterUnready < 2) {
        for (const path of [`/corridors/${corridor}`, '/health/ready']) {
          const sentAt = Date.now();
          const outcome = await send(node.url, 'GET', path);
          reads.push({ path, outcome, sentAt });
          if (outcome.kind === 'error') return;
          if (path === '/health/ready' && outcome.status === 503 && afterUnready < 0) afterUnready = 0;
        }
        if (afterUnready >= 0) afterUnready++;
        await sleep(10);
      }
    };
    const load = [...CORRIDORS.flatMap((c) => Array.from({ length: WRITERS_PER_CORRIDOR }, (_, w) => writer(c, w))), ...CORRIDORS.map((c) => reader(c))];

    await waitFor(() => commands.filter((c) => c.outcome.kind === 'answer' && c.outcome.status === 201).length >= 150, { timeoutMs: 60_000, intervalMs: 20, what: '150 accepted commands' });
    sigtermAt = Date.now();
    const { status, ms } = await node.terminate();
    await Promise.all(load);
    const summary = () => {
      const count = (list: { outcome: Outcome }[]) => {
        const by: Record<string, number> = {};
        for (const { outcome: o } of list) {
          const key = o.kind === 'answer' ? String(o.status) : o.code;
          by[key] = (by[key] ?? 0) + 1;
        }
        return by;
      };
      const after = (list: { outcome: Outcome; sentAt: number }[]) => list.filter((x) => x.sentAt >= sigtermAt);
      return `exit ${JSON.stringify(status)} after ${ms} ms; commands ${JSON.stringify(count(commands))} (sent after SIGTERM: ${JSON.stringify(count(after(commands)))}); reads ${JSON.stringify(count(reads))} (after SIGTERM: ${JSON.stringify(count(after(reads)))})\nnode output:\n${node.out.slice(-4000)}`;
    };
    const answered = commands.filter((c): c is Command & { outcome: Answer } => c.outcome.kind === 'answer');
    const accepted = answered.filter((c) => c.outcome.status === 201);
    const refused = answered.filter((c) => c.outcome.status === 503);
    try {
      // The process: exit code 0 (not a signal, not the forced exit), within the bound.
      expect(status).toEqual({ code: 0, signal: null });
      expect(ms).toBeLessThan(BOUND_MS);
      expect(node.out).toMatch(/SIGTERM received, shutting down/);
      expect(node.out).toMatch(/stopped/);

      // Every request: an answer, or refused at connect after the port closed. Never a reset of an accepted one.
      const failures = [...commands.map((c) => c.outcome), ...reads.map((r) => r.outcome)].filter((o): o is Failure => o.kind === 'error');
      expect(failures.filter((f) => f.code !== 'ECONNREFUSED')).toEqual([]);
      for (const f of failures) expect(f.at).toBeGreaterThanOrEqual(sigtermAt);

      expect(answered.filter((c) => c.outcome.status !== 201 && c.outcome.status !== 503).map((c) => c.outcome.text)).toEqual([]);
      expect(refused.length).toBeGreaterThan(0); // commands arriving during the drain were answered, with a 503
      for (const c of refused) {
        expect(c.outcome.at).toBeGreaterThanOrEqual(sigtermAt);
        expect(c.outcome.headers['retry-after']).toBe('5');
        expect(c.outcome.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(c.outcome.body).toMatchObject({ type: 'https://corridor-ledger.dev/problems/shutting-down', status: 503 });
      }
      expect(accepted.filter((c) => c.outcome.at >= sigtermAt).length).toBeGreaterThan(0); // in flight at SIGTERM, finished

      // Reads during the drain: served; readiness: 503 with the lifecycle check down.
      const readAnswers = reads.filter((r): r is typeof r & { outcome: Answer } => r.outcome.kind === 'answer' && r.sentAt >= sigtermAt);
      expect(readAnswers.filter((r) => r.path !== '/health/ready' && r.outcome.status === 200).length).toBeGreaterThan(0);
      const unready = readAnswers.filter((r) => r.path === '/health/ready' && r.outcome.status === 503);
      expect(unready.length).toBeGreaterThan(0);
      expect(unready[0]!.outcome.body).toMatchObject({ type: 'https://corridor-ledger.dev/problems/not-ready', checks: { lifecycle: { status: 'down' } } });
      expect(['draining', 'stopping']).toContain(unready[0]!.outcome.body.checks.lifecycle.state);
    } catch (e) {
      (e as Error).message += `\n${summary()}`;
      throw e;
    }

    // Restart on the same files: every accepted command is in its chain, nothing else is, and the chains verify.
    await node.start();
    for (const id of CORRIDORS) {
      const view = (await node.api('GET', `/corridors/${id}`)).body;
      const chain = await allReceipts(node, `/corridors/${id}`);
      verifyChain(chain, view.state_channel?.genesis_root, nodeDid);
      verifyChain(await allReceipts(node, `/corridors/${id}/lifecycle`), undefined, nodeDid);
      const inChain = chain.map((r) => r.transition.payload.invoice as string);
      const mine = accepted.filter((c) => c.corridor === id);
      expect(new Set(inChain).size).toBe(inChain.length); // nothing twice
      expect([...inChain].sort()).toEqual(mine.map((c) => c.key).sort()); // exactly the accepted ones
      for (const c of mine) {
        const answer = (c.outcome.body.receipts as { stream: string; receipt: any }[]).find((r) => r.stream === `corridor-${id}`)!.receipt;
        expect(chain[answer.sequence].next_root).toBe(answer.next_root);
      }
    }

    // Idempotency across the restart: an accepted key replays its answer; a refused key was never recorded.
    const replayed = accepted[accepted.length - 1]!;
    const again = await node.api('POST', `/corridors/${replayed.corridor}/transitions`, replayed.body, { 'idempotency-key': replayed.key });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(replayed.outcome.text);
    const retried = refused[0]!;
    const applied = await node.api('POST', `/corridors/${retried.corridor}/transitions`, retried.body, { 'idempotency-key': retried.key });
    expect(applied.status).toBe(201);
    expect(applied.headers['idempotent-replayed']).toBeUndefined();

    // And a quiet node stops quickly, exit 0.
    const second = await node.terminate();
    expect(second.status).toEqual({ code: 0, signal: null });
    expect(second.ms).toBeLessThan(BOUND_MS);
  });
});
