import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isJsonObject, parseJsonText, sha256Hex, verifyProofs, type JsonObject } from '@corridor/protocol';
import { startWatcher, type LogEntry, type RunningWatcher, type WatcherConfigInput } from '../../apps/watcher/src';
import { sleep, waitFor } from '../support/infra';
import { keyFromSeed, TestChain } from './support/chain';
import { FakeNode } from './support/fake-node';

/**
 * The daemon in-process against stand-in nodes that speak the watcher contract over real HTTP: stream following,
 * durable cursors across restarts, attestations and their retries, reconnects, fork alarms.
 */

const dirs: string[] = [];
const running: RunningWatcher[] = [];
const nodes: FakeNode[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.close()));
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'corridor-watcher-'));
  dirs.push(d);
  return d;
}

async function node(chain: TestChain, options: Partial<ConstructorParameters<typeof FakeNode>[0]> = {}): Promise<FakeNode> {
  const n = await new FakeNode({ key: options.key ?? chain.signers[0], chain, ...options }).start();
  nodes.push(n);
  return n;
}

async function watcher(config: Partial<WatcherConfigInput> & Pick<WatcherConfigInput, 'nodes' | 'corridors' | 'dataDir'>, logs: LogEntry[] = []): Promise<RunningWatcher> {
  const w = await startWatcher({ pollIntervalMs: 200, minBackoffMs: 20, maxBackoffMs: 200, streamIdleMs: 5_000, ...config }, {
    log: (e) => {
      logs.push(e);
      if (process.env.WATCHER_TEST_LOG) process.stderr.write(`${Date.now() % 100000} ${JSON.stringify(e)}\n`);
    },
  });
  running.push(w);
  return w;
}

async function health(w: RunningWatcher): Promise<{ status: number; body: any }> {
  const res = await fetch(`${w.url}/health`);
  return { status: res.status, body: await res.json() };
}

const accepted = (n: FakeNode, watcherDid: string) => n.attestations.filter((a) => a.status === 201 && a.watcher === watcherDid);

describe('watcher daemon against stand-in nodes', () => {
  it('follows the stream, verifies, attests each new checkpoint (consistent with the last one), reports health', async () => {
    const chain = new TestChain({ corridorId: 'org.example.follow' }).extend(25);
    const n = await node(chain);
    const w = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dataDir() });

    await waitFor(() => accepted(n, w.did).some((a) => a.receipt_count === 25), { what: 'the attestation of head 25' });
    expect([...n.signers]).toEqual([w.did]); // every request signed with the watcher's key
    const first = accepted(n, w.did)[0].vc;
    expect(verifyProofs(first).map((p) => p.ok)).toEqual([true]);
    expect(first).toMatchObject({
      type: ['VerifiableCredential', 'MSEZCorridorWatcherAttestationCredential'],
      issuer: w.did,
      credentialSubject: { corridor_id: chain.corridorId, genesis_root: chain.genesisRoot, receipt_count: 25, final_state_root: chain.head, mmr_root: chain.mmr.root, no_fork_observed: true, finality_level: 'checkpoint_signed' },
    });

    const h = await waitFor(async () => {
      const r = await health(w);
      return r.status === 200 && r.body.subscriptions[0].last_attested_size === 25 ? r : null;
    });
    expect(h.body.subscriptions).toEqual([
      { node: n.url, corridor: chain.corridorId, state: 'connected', connected: true, verified_head: 24, node_head: 24, lag: 0, last_attested_size: 25, alarms: 0, problem: null },
    ]);
    expect(h.body.corridors[0]).toMatchObject({ genesis_root: chain.genesisRoot, signers: { sequencer: n.key.did, signers: [n.key.did], peered: false }, last_attested: { size: 25 }, deliveries: [{ node: n.url, size: 25, status: 'accepted' }], alarms: [] });
    expect((await fetch(`${w.url}/health/live`)).status).toBe(200);

    n.extend(8);
    await waitFor(() => accepted(n, w.did).some((a) => a.receipt_count === 33), { what: 'the attestation of head 33' });
    expect(n.requests).toContain(`GET /corridors/${chain.corridorId}/consistency?from=25&to=33`);
  });

  it('survives a restart: resumes from its durable cursor, does not attest twice, attests what came while it was down', async () => {
    const chain = new TestChain({ corridorId: 'org.example.restart' }).extend(40);
    const n = await node(chain);
    const dir = dataDir();
    const w1 = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dir });
    await waitFor(() => accepted(n, w1.did).some((a) => a.receipt_count === 40));
    const did = w1.did;
    await w1.close();
    running.splice(running.indexOf(w1), 1);

    n.extend(5);
    n.requests.length = 0;
    const w2 = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dir });
    expect(w2.did).toBe(did);
    await waitFor(() => accepted(n, did).some((a) => a.receipt_count === 45), { what: 'the attestation of head 45 after the restart' });
    expect(n.requests).toContain(`GET /corridors/${chain.corridorId}/stream?after=39`);
    expect(accepted(n, did).map((a) => a.receipt_count)).toEqual([40, 45]);
    expect((await health(w2)).body.subscriptions[0]).toMatchObject({ verified_head: 44, last_attested_size: 45 });
  });

  it('reconnects with back-off when the stream fails, and reports it meanwhile', async () => {
    const chain = new TestChain({ corridorId: 'org.example.reconnect' }).extend(3);
    const n = await node(chain);
    n.streamStatus = 503;
    const w = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dataDir() });
    const down = await waitFor(async () => {
      const r = await health(w);
      return r.body.subscriptions[0].problem?.startsWith('stream answered 503') ? r : null;
    });
    expect(down.status).toBe(503);
    expect(down.body.subscriptions[0]).toMatchObject({ connected: false, verified_head: -1 });
    n.streamStatus = 200;
    await waitFor(async () => (await health(w)).status === 200 && accepted(n, w.did).length > 0, { what: 'recovery' });
    n.dropStreams();
    n.extend(2);
    await waitFor(() => accepted(n, w.did).some((a) => a.receipt_count === 5), { what: 'progress after a dropped stream' });
  });

  it('retries an attestation the node refuses for now: no bond yet (403), node behind (409 head-mismatch)', async () => {
    const chain = new TestChain({ corridorId: 'org.example.retry', signers: [keyFromSeed('retry: A'), keyFromSeed('retry: B')] }).extend(10);
    const a = await node(chain, { bonded: new Set() });
    const behind = await node(chain.prefix(6), { key: chain.signers[1] });
    const w = await watcher({ nodes: [a.url, behind.url], corridors: [chain.corridorId], dataDir: dataDir() });

    await waitFor(() => a.attestations.some((x) => x.status === 403) && behind.attestations.some((x) => x.status === 409), { what: 'a 403 and a 409' });
    expect((await health(w)).body.corridors[0].deliveries.map((d: any) => [d.node, d.status])).toEqual(
      [[a.url, 'pending'], [behind.url, 'pending']].sort(([x], [y]) => (x < y ? -1 : 1)),
    );
    a.bonded!.add(w.did);
    for (const r of chain.receipts.slice(6)) behind.append(r);
    await waitFor(() => accepted(a, w.did).length === 1 && accepted(behind, w.did).length === 1, { what: 'both nodes accepting' });
    expect(accepted(behind, w.did)[0].receipt_count).toBe(10);
  });

  it('two nodes serving different receipts at one (sequence, prev_root): one fork alarm, sent to every node, raised once', async () => {
    const A = keyFromSeed('fork: zone A', 'zone-a');
    const B = keyFromSeed('fork: zone B', 'zone-b');
    const chain = new TestChain({ corridorId: 'org.example.fork', signers: [A, B] }).extend(12);
    const honest = await node(chain, { key: A });
    const forked = chain.prefix(7);
    forked.append(forked.build({ invoice: 'INV-DOUBLE-SPEND' }));
    forked.extend(4);
    const liar = await node(forked, { key: B });
    const dir = dataDir();
    const logs: LogEntry[] = [];
    const w = await watcher({ nodes: [honest.url, liar.url], corridors: [chain.corridorId], dataDir: dir }, logs);

    await waitFor(() => honest.halts.length === 1 && liar.halts.length === 1, { what: 'halt evidence at both nodes' });
    const alarm = honest.halts[0];
    expect(liar.halts[0]).toEqual(alarm);
    expect(verifyProofs(alarm).map((p) => p.ok)).toEqual([true]);
    const subject = alarm.credentialSubject as JsonObject;
    expect(alarm).toMatchObject({ type: ['VerifiableCredential', 'MSEZCorridorForkAlarmCredential'], issuer: w.did });
    expect(subject).toMatchObject({ corridor_id: chain.corridorId, sequence: 7, prev_root: chain.receipts[6].next_root });
    expect([subject.next_root_a, subject.next_root_b].sort()).toEqual([chain.receipts[7].next_root, forked.receipts[7].next_root].sort());
    const digests = [(subject.receipt_a as JsonObject).digest_sha256, (subject.receipt_b as JsonObject).digest_sha256].sort();
    expect(digests).toEqual([sha256Hex(chain.texts[7]), sha256Hex(forked.texts[7])].sort());

    const h = await waitFor(async () => {
      const r = await health(w);
      return r.body.corridors[0].alarms[0]?.deliveries.every((d: any) => d.status === 'accepted') ? r : null;
    });
    expect(h.status).toBe(503);
    expect(h.body.corridors[0].alarms).toHaveLength(1);
    expect(h.body.subscriptions.map((s: any) => s.alarms)).toEqual([1, 1]);
    expect(logs.filter((l) => l.event === 'fork-alarm')).toHaveLength(1);

    // Durable: a restarted watcher still reports the alarm and raises no second one.
    await w.close();
    running.splice(running.indexOf(w), 1);
    const w2 = await watcher({ nodes: [honest.url, liar.url], corridors: [chain.corridorId], dataDir: dir }, logs);
    await sleep(500);
    expect(honest.halts).toHaveLength(1);
    expect(logs.filter((l) => l.event === 'fork-alarm')).toHaveLength(1);
    const again = await health(w2);
    expect([again.status, again.body.corridors[0].alarms.length]).toEqual([503, 1]);
  });

  it('a node that rewrites history under its stream: the rewritten receipt is found and alarmed', async () => {
    const chain = new TestChain({ corridorId: 'org.example.rewrite' }).extend(10);
    const n = await node(chain);
    const w = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dataDir() });
    await waitFor(() => accepted(n, w.did).some((a) => a.receipt_count === 10));

    const rewritten = chain.prefix(4);
    rewritten.append(rewritten.build({ invoice: 'INV-REWRITTEN' }));
    rewritten.extend(9);
    n.dropStreams();
    n.replaceChain(rewritten);
    await waitFor(() => n.halts.length === 1, { what: 'the halt' });
    const subject = n.halts[0].credentialSubject as JsonObject;
    expect(subject).toMatchObject({ sequence: 4, prev_root: chain.receipts[3].next_root });
    expect([subject.next_root_a, subject.next_root_b]).toEqual([chain.receipts[4].next_root, rewritten.receipts[4].next_root]);
    const h = await health(w);
    expect(h.status).toBe(503);
    expect(h.body.subscriptions[0]).toMatchObject({ state: 'diverged', problem: expect.stringContaining('rewrote receipt 4') });
    expect(accepted(n, w.did).map((a) => a.receipt_count)).toEqual([10]);
  });

  it('a node restored from an old backup: reported behind, then alarmed when it signs another receipt where it lost one', async () => {
    const chain = new TestChain({ corridorId: 'org.example.restored' }).extend(10);
    const n = await node(chain);
    const w = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dataDir() });
    await waitFor(() => accepted(n, w.did).some((a) => a.receipt_count === 10));
    const restored = chain.prefix(6);
    n.replaceChain(restored);
    const behind = await waitFor(async () => {
      const r = await health(w);
      return r.body.subscriptions[0].problem?.includes('behind') ? r : null;
    });
    expect(behind.body.subscriptions[0]).toMatchObject({
      verified_head: 9,
      node_head: 5,
      lag: -4,
      problem: "the node's head 5 is behind the watcher's verified head 9; yet the node serves the receipts the watcher verified up to 5",
    });
    expect(n.halts).toEqual([]);
    n.append(restored.build({ invoice: 'INV-AFTER-RESTORE' }));
    await waitFor(() => n.halts.length === 1, { what: 'the alarm over receipt 6' });
    expect(n.halts[0].credentialSubject).toMatchObject({ sequence: 6, prev_root: chain.receipts[5].next_root, next_root_a: chain.receipts[6].next_root, next_root_b: restored.receipts[6].next_root });
  });

  it('a consistency proof that fails between two checkpoints: no attestation, the reason reported, no alarm without two receipts', async () => {
    const chain = new TestChain({ corridorId: 'org.example.inconsistent' }).extend(8);
    const n = await node(chain);
    const logs: LogEntry[] = [];
    const w = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dataDir() }, logs);
    await waitFor(() => accepted(n, w.did).some((a) => a.receipt_count === 8));
    const other = chain.prefix(3);
    other.append(other.build({ invoice: 'INV-ELSEWHERE' }));
    other.extend(10);
    n.consistencyFrom = other;
    n.extend(4);
    const log = await waitFor(() => logs.find((l) => l.event === 'consistency-failed'), { what: 'the consistency failure' });
    expect(log).toMatchObject({ from: 8, to: 12, detail: expect.stringMatching(/^consistency proof 8 → 12: trusted_old_root_mismatch/) });
    const h = await waitFor(async () => {
      const r = await health(w);
      return r.body.subscriptions[0].problem?.includes('consistency-failed') ? r : null;
    });
    expect(h.body.subscriptions[0]).toMatchObject({ verified_head: 11, last_attested_size: 8, alarms: 0 });
    expect(accepted(n, w.did).map((a) => a.receipt_count)).toEqual([8]);
    expect(n.halts).toEqual([]);
  });

  it('a receipt that does not verify stops the subscription with the precise reason, and nothing beyond it is attested', async () => {
    const chain = new TestChain({ corridorId: 'org.example.forged' }).extend(5);
    const n = await node(chain, { checkpointEvents: false });
    const w = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dataDir() });
    await waitFor(async () => (await health(w)).body.subscriptions[0].verified_head === 4);
    const forged = chain.build({ invoice: 'INV-FORGED' }, { signers: [keyFromSeed('not the node')] });
    n.append(forged);
    const h = await waitFor(async () => {
      const r = await health(w);
      return r.body.subscriptions[0].state === 'rejected' ? r : null;
    });
    expect(h.status).toBe(503);
    expect(h.body.subscriptions[0]).toMatchObject({ verified_head: 4, problem: expect.stringMatching(/^unknown-signer: receipt 5: its proof is by did:key:\S+, not a signer of the corridor$/) });
    expect(accepted(n, w.did).every((a) => a.receipt_count <= 5)).toBe(true);
  });

  it('asks for the checkpoint itself when the stream sends none, once caught up', async () => {
    const chain = new TestChain({ corridorId: 'org.example.poll' }).extend(7);
    const n = await node(chain, { checkpointEvents: false });
    const w = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dataDir() });
    await waitFor(() => accepted(n, w.did).some((a) => a.receipt_count === 7), { what: 'an attestation from a polled checkpoint' });
    expect(n.requests).toContain(`GET /corridors/${chain.corridorId}/checkpoint`);
  });

  it('a node that does not serve a corridor is left out; the corridor is still watched on the others', async () => {
    const chain = new TestChain({ corridorId: 'org.example.partial' }).extend(3);
    const n = await node(chain);
    const other = await node(new TestChain({ corridorId: 'org.example.elsewhere' }).extend(1));
    const w = await watcher({ nodes: [n.url, other.url], corridors: [chain.corridorId], dataDir: dataDir() });
    const h = await waitFor(async () => {
      const r = await health(w);
      return r.status === 200 && r.body.subscriptions.some((s: any) => s.state === 'not-served') ? r : null;
    });
    expect(h.body.subscriptions.map((s: any) => [s.node, s.state])).toEqual([
      [n.url, 'connected'],
      [other.url, 'not-served'],
    ]);
  });

  it('keeps a durable record: attestation, cursor and receipts are in watcher.sqlite', async () => {
    const chain = new TestChain({ corridorId: 'org.example.durable' }).extend(6);
    const n = await node(chain);
    const dir = dataDir();
    const w = await watcher({ nodes: [n.url], corridors: [chain.corridorId], dataDir: dir });
    await waitFor(() => accepted(n, w.did).length === 1);
    await w.close();
    running.splice(running.indexOf(w), 1);
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(dir, 'watcher.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT sequence, mmr_size, mmr_root FROM cursors').all()).toEqual([{ sequence: 5, mmr_size: 6, mmr_root: chain.mmr.root }]);
      const rows = db.prepare('SELECT sequence, body FROM receipts ORDER BY sequence').all() as { sequence: number; body: string }[];
      expect(rows.map((r) => r.body)).toEqual(chain.texts);
      const att = db.prepare('SELECT attestation FROM attestations').get() as { attestation: string };
      const vc = parseJsonText(att.attestation);
      expect(isJsonObject(vc) && verifyProofs(vc).every((p) => p.ok)).toBe(true);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});
