import { createServer, type Server } from 'node:http';
import { canonicalize, digestOf, parseJsonText, type JsonObject } from '@corridor/protocol';
import { BUNDLE_FORMAT, type BundleHeader } from '../../apps/cli/src/audit/bundle';
import { NodeClient } from '../../apps/cli/src/audit/node-client';
import type { CorridorSource } from '../../apps/cli/src/audit/sources';
import { writeBundle, type TextSink } from '../../apps/cli/src/audit/writers';
import { runCli } from '../support/cli-harness';

const PROBLEM = 'https://corridor-ledger.dev/problems/';

function header(): BundleHeader {
  return {
    corridor_id: 'org.example.synthetic',
    exported_at: '2026-01-01T00:00:00Z',
    node: { did: 'did:key:z6Mkexample', jurisdiction: 'PK', verification_method: 'did:key:z6Mkexample#pk-node' },
    manifest: { corridor_id: 'org.example.synthetic' },
    definition_vc: { id: 'urn:definition' },
    agreement_vcs: [],
    trust_anchors: { trust_anchors: [] },
    ruleset_descriptors: {},
    lifecycle: { receipts: [], checkpoint: null },
    checkpoints: [],
    fork_alarms: [],
    fork_resolutions: [],
  };
}

describe('the bundle writer', () => {
  it('streams 100,000 receipts page by page: bounded writes, canonical output, the digest of the bytes written', async () => {
    const pages = 100;
    const perPage = 1000;
    const receipt = (n: number): JsonObject => ({ sequence: n, next_root: digestOf({ n }), transition: { kind: 'k', payload: { n, big: 12345678901234567890n } } });
    const source: CorridorSource = {
      header: header(),
      receiptCount: pages * perPage,
      async *receiptPages() {
        for (let p = 0; p < pages; p++) yield Array.from({ length: perPage }, (_, i) => receipt(p * perPage + i));
      },
    };
    const chunks: number[] = [];
    let text = '';
    const sink: TextSink = {
      write: async (t) => {
        chunks.push(t.length);
        text += t;
      },
      close: async () => undefined,
      abort: async () => undefined,
    };
    const { sha256, receipts } = await writeBundle(source, sink);
    expect(receipts).toBe(pages * perPage);
    // Never the whole document at once: at most ~1 MiB plus one page per write.
    expect(Math.max(...chunks)).toBeLessThan((1 << 20) + 300 * perPage);
    expect(chunks.length).toBeGreaterThan(10);
    const doc = parseJsonText(text) as any;
    expect(text).toBe(canonicalize(doc) + '\n');
    expect(doc.bundle.format).toBe(BUNDLE_FORMAT);
    expect(doc.bundle.receipts).toHaveLength(pages * perPage);
    expect(doc.bundle.receipts[54321].transition.payload.big).toBe(12345678901234567890n);
    expect(doc.bundle_sha256).toBe(sha256);
    expect(sha256).toBe(digestOf(doc.bundle));
  }, 60_000);
});

describe('the node client: what a node answers, or fails to', () => {
  let server: Server;
  let base: string;
  let answer: (path: string) => { status: number; body: string; delayMs?: number };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const a = answer(req.url ?? '/');
      setTimeout(() => {
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body);
      }, a.delayMs ?? 0);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const receipt = (sequence: number) => ({ sequence, next_root: digestOf({ sequence }) });

  it('pages through ?after= and checks that every page continues the previous one', async () => {
    const seen: string[] = [];
    answer = (path) => {
      seen.push(path);
      const u = new URL(path, base);
      const after = Number(u.searchParams.get('after'));
      const limit = Number(u.searchParams.get('limit'));
      const receipts = Array.from({ length: Math.max(0, Math.min(limit, 7 - (after + 1))) }, (_, i) => receipt(after + 1 + i));
      return { status: 200, body: JSON.stringify({ stream: 'corridor-x', receipts, head: 6 }) };
    };
    const client = new NodeClient(base, { pageSize: 3 });
    expect((await client.allReceipts('/corridors/x')).map((r) => r.sequence)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(seen).toEqual(['/corridors/x/receipts?after=-1&limit=3', '/corridors/x/receipts?after=2&limit=3', '/corridors/x/receipts?after=5&limit=3', '/corridors/x/receipts?after=6&limit=3']);
    seen.length = 0;
    expect((await client.allReceipts('/corridors/x', 5)).map((r) => r.sequence)).toEqual([0, 1, 2, 3, 4]);
    expect(seen).toEqual(['/corridors/x/receipts?after=-1&limit=3', '/corridors/x/receipts?after=2&limit=2']);
  });

  it('a page that skips a sequence, a chain shorter than announced, an answer that is not JSON: invalid-node-answer', async () => {
    const client = new NodeClient(base);
    answer = () => ({ status: 200, body: JSON.stringify({ receipts: [receipt(0), receipt(2)] }) });
    await expect(client.allReceipts('/corridors/x')).rejects.toMatchObject({ slug: 'invalid-node-answer', message: expect.stringContaining('expected the receipt of sequence 1') });
    answer = () => ({ status: 200, body: JSON.stringify({ receipts: [] }) });
    await expect(client.allReceipts('/corridors/x', 3)).rejects.toMatchObject({ slug: 'invalid-node-answer', message: expect.stringContaining('ends at 0 receipts, 3 were expected') });
    answer = () => ({ status: 200, body: '<html>proxy error</html>' });
    await expect(client.get('/node')).rejects.toMatchObject({ slug: 'invalid-node-answer' });
    answer = () => ({ status: 200, body: '{"amount":1.5}' });
    await expect(client.get('/node')).rejects.toMatchObject({ slug: 'invalid-node-answer', message: expect.stringContaining('Floats') });
  });

  it('HTTP failures: 404 not-found, 401 unauthorized, 500 node-error (with the problem detail), timeout node-unreachable', async () => {
    const client = new NodeClient(base, { timeoutMs: 200 });
    answer = () => ({ status: 404, body: JSON.stringify({ type: PROBLEM + 'not-found', detail: 'corridor "x" does not exist' }) });
    await expect(client.get('/corridors/x')).rejects.toMatchObject({ slug: 'not-found', message: expect.stringContaining('corridor "x" does not exist') });
    answer = () => ({ status: 401, body: JSON.stringify({ detail: 'no bearer token' }) });
    await expect(client.get('/regulator/corridors')).rejects.toMatchObject({ slug: 'unauthorized', message: expect.stringContaining('no --token was given') });
    answer = () => ({ status: 500, body: JSON.stringify({ detail: 'boom' }) });
    await expect(client.get('/node')).rejects.toMatchObject({ slug: 'node-error', message: expect.stringContaining('500: boom') });
    answer = () => ({ status: 200, body: '{}', delayMs: 1000 });
    await expect(client.get('/node')).rejects.toMatchObject({ slug: 'node-unreachable', message: expect.stringContaining('timeout') });
  });

  it('the CLI turns them into problem documents (exit 2)', async () => {
    answer = () => ({ status: 200, body: JSON.stringify({ did: 'did:key:z6Mkexample', jurisdiction: 'PK', verification_method: 'did:key:z6Mkexample#k' }) });
    const r = await runCli(['export', '--node', base, '--corridor', 'org.example.x']);
    expect(r.code).toBe(2);
    expect(r.problem().type).toBe(PROBLEM + 'invalid-node-answer');
    answer = () => ({ status: 503, body: JSON.stringify({ detail: 'projection not ready' }) });
    const r2 = await runCli(['replay', '--node', base, '--token', 't']);
    expect([r2.code, r2.problem().type]).toEqual([2, PROBLEM + 'node-error']);
  });
});

describe('command line', () => {
  it('lists export and the new modes in --help, and refuses inconsistent options', async () => {
    const help = await runCli(['--help']);
    expect(help.stdout).toContain('corridor export (--node URL --corridor ID | --bundle FILE)');
    expect(help.stdout).toContain('corridor chain verify (--module DIR --receipts DIR | --bundle FILE)');
    expect(help.stdout).toContain('--node URL [--token TOKEN');
    const cases: string[][] = [
      ['export'],
      ['export', '--node', 'http://127.0.0.1:1', '--bundle', 'b.json'],
      ['export', '--bundle', 'b.json'],
      ['export', '--bundle', 'b.json', '--layout', 'reference', '--out', 'x', '--corridor', 'c'],
      ['export', '--node', 'http://127.0.0.1:1', '--corridor', 'c', '--checkpoint-every', '0'],
      ['export', '--node', 'http://127.0.0.1:1', '--corridor', 'c', '--layout', 'reference'],
      ['export', '--node', 'http://127.0.0.1:1', '--corridor', 'c', 'extra'],
      ['replay'],
      ['replay', '--bundle', 'b.json', '--token', 't'],
      ['replay', '--data', 'd', '--corridor', 'c'],
      ['replay', '--node', 'http://127.0.0.1:1', '--token', 't', '--token-file', 'f'],
    ];
    for (const argv of cases) {
      const r = await runCli(argv);
      expect([argv.join(' '), r.code, r.problem().type]).toEqual([argv.join(' '), 2, PROBLEM + 'usage']);
    }
  });
});
