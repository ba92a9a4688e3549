import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  canonicalize,
  checkpointDigest,
  isJsonObject,
  parseJsonText,
  parseRequestSignature,
  verifyProofs,
  verifyRequestSignature,
  type Ed25519KeyPair,
  type JsonObject,
} from '@corridor/protocol';
import type { TestChain } from './chain';

/**
 * A stand-in for a jurisdiction node that speaks the watcher contract (spec/watcher.md §2) over real HTTP, backed by
 * a `TestChain`. Tests drive it: append receipts, serve another chain (a rewritten history), refuse attestations
 * until a bond is "posted", drop streams. Everything the watcher sent is recorded.
 */
export interface FakeNodeOptions {
  key: Ed25519KeyPair;
  /** The corridor's chain as this node holds it (replaceable). */
  chain: TestChain;
  /** Send `event: checkpoint` when a subscriber caught up (default true). */
  checkpointEvents?: boolean;
  keepAliveMs?: number;
  /** Watchers allowed to attest (did:key); undefined = any. */
  bonded?: Set<string>;
}

export interface FakeAttestation {
  watcher: string;
  receipt_count: number;
  final_state_root: string;
  status: number;
  vc: JsonObject;
}

export class FakeNode {
  server!: http.Server;
  url = '';
  chain: TestChain;
  readonly key: Ed25519KeyPair;
  checkpointEvents: boolean;
  bonded: Set<string> | undefined;
  halted = false;
  readonly attestations: FakeAttestation[] = [];
  readonly halts: JsonObject[] = [];
  readonly requests: string[] = [];
  /** Attestations accepted per (watcher, height): the equivocation check. */
  private readonly attested = new Map<string, string>();
  private readonly subscribers = new Set<{ res: http.ServerResponse; cursor: number; lastCheckpoint: string }>();
  private keepAlive: NodeJS.Timeout | undefined;
  /** Refuse the stream with this status (e.g. 503), for reconnect tests. */
  streamStatus = 200;
  /** `corridor.signer-key-rotated.v1` payloads served as the lifecycle chain's receipts. */
  readonly rotations: JsonObject[] = [];
  /** The keys the view reports as the corridor's signers now (default: the chain's). */
  currentSigners: { sequencer: string; signers: string[] } | null = null;
  /** Serve consistency proofs of this chain instead of the real one (a node that cannot prove its history). */
  consistencyFrom: TestChain | null = null;
  /** Every request must be signed by a did:key (spec/security.md §2.2), as a real node requires of watchers. */
  readonly signers = new Set<string>();

  constructor(private readonly options: FakeNodeOptions) {
    this.chain = options.chain;
    this.key = options.key;
    this.checkpointEvents = options.checkpointEvents ?? true;
    this.bonded = options.bonded;
  }

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.keepAlive = setInterval(() => {
      for (const s of this.subscribers) s.res.write(': keep-alive\n\n');
    }, this.options.keepAliveMs ?? 1000);
    this.keepAlive.unref();
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.keepAlive);
    this.dropStreams();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** Ends every open stream (the watcher reconnects). */
  dropStreams(): void {
    for (const s of this.subscribers) s.res.destroy();
    this.subscribers.clear();
  }

  /** Appends receipts to this node's chain and pushes them to subscribers. */
  append(receipt?: JsonObject): void {
    this.chain.append(receipt ?? this.chain.build());
    this.pump();
  }

  extend(n: number): void {
    for (let i = 0; i < n; i++) this.chain.append(this.chain.build());
    this.pump();
  }

  /** Serve another chain from now on (a rewritten history); streams continue from their cursors. */
  replaceChain(chain: TestChain): void {
    this.chain = chain;
    this.pump();
  }

  private get peered(): boolean {
    return this.chain.peered;
  }

  private view(): JsonObject {
    const c = this.chain;
    const head = c.size === 0 ? { sequence: null, next_root: null, mmr: null } : { sequence: c.size - 1, next_root: c.head, mmr: c.mmr.snapshotAt(c.size) as unknown as JsonObject };
    return {
      corridor_id: c.corridorId,
      state: this.halted ? 'HALTED' : 'ACTIVE',
      state_channel: { genesis_root: c.genesisRoot, lawpack_digest_set: c.lawpack, ruleset_digest_set: c.ruleset, head },
      peering: this.peered ? { ...(this.currentSigners ?? { sequencer: c.signers[0].did, signers: c.signers.map((k) => k.did) }), is_sequencer: c.signers[0].did === this.key.did } : null,
    };
  }

  private pump(): void {
    for (const s of this.subscribers) this.feed(s);
  }

  private feed(s: { res: http.ServerResponse; cursor: number; lastCheckpoint: string }): void {
    const c = this.chain;
    while (s.cursor + 1 < c.size) {
      s.cursor += 1;
      s.res.write(`event: receipt\nid: ${s.cursor}\ndata: ${c.texts[s.cursor]}\n\n`);
    }
    if (this.checkpointEvents && c.size > 0) {
      const ck = c.checkpoint();
      const d = checkpointDigest(ck);
      if (d !== s.lastCheckpoint) {
        s.lastCheckpoint = d;
        s.res.write(`event: checkpoint\ndata: ${canonicalize(ck)}\n\n`);
      }
    }
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown, type = 'application/json') => {
      const text = canonicalize(body);
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    };
    const problem = (status: number, slug: string, detail: string) => json(status, { type: `https://corridor-ledger.dev/problems/${slug}`, title: slug, status, detail }, 'application/problem+json');
    const auth = req.headers.authorization;
    const target = req.url ?? '/';
    let signer: string | null = null;
    try {
      const parts = parseRequestSignature(auth ?? '');
      const v = verifyRequestSignature(parts, { method: req.method ?? 'GET', path: target }, { windowSeconds: 120 });
      if (v.ok) signer = v.did;
    } catch {
      signer = null;
    }
    if (signer === null && req.method === 'GET') return problem(401, 'unauthenticated', `unsigned or badly signed request ${target}`);
    if (signer !== null) this.signers.add(signer);
    if (req.method === 'GET' && url.pathname === '/node') {
      return json(200, { jurisdiction: 'PK', did: this.key.did, verification_method: this.key.verificationMethod });
    }
    const m = /^\/corridors\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (!m || decodeURIComponent(m[1]) !== this.chain.corridorId) return problem(404, 'not-found', 'no such corridor');
    const rest = m[2] ?? '';
    const c = this.chain;
    if (req.method === 'GET') {
      if (rest === '') return json(200, this.view());
      if (rest === '/stream') {
        if (this.streamStatus !== 200) return problem(this.streamStatus, 'unavailable', 'stream refused');
        const header = req.headers['last-event-id'];
        const after = typeof header === 'string' ? Number(header) : url.searchParams.has('after') ? Number(url.searchParams.get('after')) : -1;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
        res.write(': hello\n\n');
        const s = { res, cursor: after, lastCheckpoint: '' };
        this.subscribers.add(s);
        req.on('close', () => this.subscribers.delete(s));
        this.feed(s);
        return;
      }
      if (rest === '/lifecycle/receipts') {
        const after = Number(url.searchParams.get('after') ?? -1);
        const all = this.rotations.map((payload, i) => ({ sequence: i + 3, transition: { kind: 'corridor.signer-key-rotated.v1', payload } }));
        return json(200, { stream: `corridor_lifecycle-${c.corridorId}`, receipts: all.filter((r) => r.sequence > after), head: all.length + 2 });
      }
      if (rest === '/receipts') {
        const after = Number(url.searchParams.get('after') ?? -1);
        const limit = Number(url.searchParams.get('limit') ?? 100);
        return json(200, { stream: `corridor-${c.corridorId}`, receipts: c.receipts.slice(after + 1, after + 1 + limit), head: c.size - 1 });
      }
      const r = /^\/receipts\/(\d+)$/.exec(rest);
      if (r) {
        const seq = Number(r[1]);
        if (seq >= c.size) return problem(404, 'not-found', `no receipt ${seq}`);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(c.texts[seq]);
        return;
      }
      if (rest === '/checkpoint') return c.size === 0 ? problem(404, 'not-found', 'no receipts') : json(200, c.checkpoint());
      const k = /^\/checkpoints\/(\d+)$/.exec(rest);
      if (k) return json(200, c.checkpoint(Number(k[1])));
      if (rest === '/consistency') {
        const from = Number(url.searchParams.get('from'));
        const to = Number(url.searchParams.get('to') ?? c.size);
        return json(200, (this.consistencyFrom ?? c).mmr.buildConsistencyProof(from, to) as unknown as JsonObject);
      }
      return problem(404, 'not-found', rest);
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      try {
        const v = verifyRequestSignature(parseRequestSignature(auth ?? ''), { method: 'POST', path: target, body }, { windowSeconds: 120 });
        if (!v.ok) return problem(401, 'unauthenticated', v.reason);
      } catch (e) {
        return problem(401, 'unauthenticated', (e as Error).message);
      }
      const parsed = parseJsonText(body);
      if (!isJsonObject(parsed)) return problem(400, 'invalid-json', 'body');
      if (rest === '/attestations') {
        const vc = parsed.attestation as JsonObject;
        const subject = vc.credentialSubject as JsonObject;
        const watcher = vc.issuer as string;
        const count = subject.receipt_count as number;
        const root = subject.final_state_root as string;
        const record = (status: number) => this.attestations.push({ watcher, receipt_count: count, final_state_root: root, status, vc });
        if (!verifyProofs(vc).some((p) => p.ok)) {
          record(400);
          return problem(400, 'invalid-signature', 'attestation proof');
        }
        if (this.bonded && !this.bonded.has(watcher)) {
          record(403);
          return problem(403, 'watcher-not-bonded', 'no active bond');
        }
        const key = `${watcher}|${count}`;
        const prior = this.attested.get(key);
        if (prior !== undefined && prior !== root) {
          record(409);
          return problem(409, 'watcher-equivocation', 'another head at this height');
        }
        if (count > c.size || c.receipts[count - 1].next_root !== root) {
          record(409);
          return problem(409, 'head-mismatch', `not this node's head at ${count}`);
        }
        this.attested.set(key, root);
        record(201);
        const agreeing = new Set(this.attestations.filter((a) => a.status === 201 && a.receipt_count === count).map((a) => a.watcher)).size;
        return json(201, { accepted: true, quorum: { receipt_count: count, agreeing_watchers: agreeing }, finality: agreeing >= 2 ? 'watcher_quorum' : 'checkpoint_signed' });
      }
      if (rest === '/halt') {
        const evidence = parsed.evidence as JsonObject[];
        const alarm = evidence?.[0];
        if (!isJsonObject(alarm) || !verifyProofs(alarm).some((p) => p.ok)) return problem(422, 'invalid-evidence', 'alarm');
        this.halts.push(alarm);
        if (this.halted) return problem(409, 'corridor-not-active', 'already halted');
        this.halted = true;
        return json(201, { halted: true });
      }
      return problem(404, 'not-found', rest);
    });
  }
}
