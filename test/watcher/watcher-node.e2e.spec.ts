/**
 * The watcher daemon as a real child process against a real node (in this process): it follows the corridor's
 * stream, verifies every receipt, attests checkpoints, and the node accepts the attestations and reaches watcher
 * quorum; it is not recognised before its bond exists and catches up by itself; it stops cleanly and resumes from
 * its durable cursor.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ed25519KeyPair, parseJsonText, verifyProofs, type JsonObject } from '@corridor/protocol';
import { freePort, waitFor } from '../support/infra';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';
import { rewriteStateChannel } from '../support/rewrite-history';
import { prepareWatcherProcess, type WatcherProcess } from './support/watcher-process';

jest.setTimeout(120_000);

describe('the watcher daemon against a real node', () => {
  let node: TestNode;
  let watcher: WatcherProcess | undefined;
  const corridorId = 'org.example.pk-ae.daemon';
  const transition = (i: number) => node.api('POST', `/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${i}`, amount: '10.00', currency: 'USD' } } });
  const view = async () => (await node.api('GET', `/corridors/${corridorId}`)).body;

  beforeAll(async () => {
    node = await startTestNode();
    await activeCorridor(node, corridorId);
    for (let i = 0; i < 3; i++) expect((await transition(i)).status).toBe(201);
  });
  afterAll(async () => {
    await watcher?.stop();
    await node?.close();
  });

  it('follows, verifies and attests; the node accepts and reaches quorum; a restart resumes', async () => {
    watcher = await prepareWatcherProcess({ nodes: [node.url], corridors: [corridorId] });
    await watcher.start();
    expect(statSync(watcher.keyFile).mode & 0o777).toBe(0o600);

    // Not bonded yet: the node does not know the watcher's did; the watcher says so and keeps trying.
    const refused = await waitFor(async () => {
      const h = await watcher!.health();
      return h.body.subscriptions[0].problem ? h : null;
    });
    expect(refused.status).toBe(503);
    expect(refused.body.subscriptions[0]).toMatchObject({ connected: false, problem: expect.stringContaining('401') });

    const bond = await node.api('POST', '/watcher-bonds', { watcher_id: watcher.did, bond_id: 'bond-1', amount: '1000.00', currency: 'USDC', corridor_ids: [corridorId] });
    expect(bond.status).toBe(201);

    const reached = await waitFor(async () => {
      const v = await view();
      return v.watcher_quorum?.receipt_count === 3 ? v : null;
    }, { timeoutMs: 30_000, what: `watcher quorum at 3 receipts\n${watcher.output()}` });
    expect(reached.finality).toBe('watcher_quorum');
    expect(reached.watcher_quorum.watchers).toEqual([watcher.did]);
    const healthy = await waitFor(async () => {
      const h = await watcher!.health();
      return h.status === 200 ? h : null;
    });
    expect(healthy.body.subscriptions[0]).toMatchObject({ node: node.url, corridor: corridorId, state: 'connected', verified_head: 2, node_head: 2, lag: 0, last_attested_size: 3, alarms: 0 });
    expect(healthy.body.corridors[0]).toMatchObject({ genesis_root: reached.state_channel.genesis_root, deliveries: [{ node: node.url, size: 3, status: 'accepted' }] });

    // New receipts: verified from the stream, the next checkpoint attested (after its consistency proof).
    for (let i = 3; i < 7; i++) await transition(i);
    await waitFor(async () => (await view()).watcher_quorum?.receipt_count === 7, { timeoutMs: 30_000, what: 'watcher quorum at 7 receipts' });

    // A clean stop, receipts while it is down, a restart on the same state.
    expect(await watcher.stop()).toMatchObject({ code: 0 });
    for (let i = 7; i < 9; i++) await transition(i);
    await watcher.start();
    await waitFor(async () => (await view()).watcher_quorum?.receipt_count === 9, { timeoutMs: 30_000, what: 'watcher quorum at 9 receipts after the restart' });
    const after = await waitFor(async () => {
      const h = await watcher!.health();
      return h.status === 200 && h.body.subscriptions[0].verified_head === 8 ? h : null;
    });
    expect(after.body.subscriptions[0].last_attested_size).toBe(9);
    expect(watcher.output()).toContain('"event":"stream-open"');
    expect(watcher.output()).toMatch(/"event":"stream-open"[^\n]*"after":6/);
  });

  it('a node that rewrote its history while stopped: the watcher finds the forged receipt, alarms, and the node halts', async () => {
    const id = 'org.example.pk-ae.rewritten';
    const dataDir = mkdtempSync(join(tmpdir(), 'corridor-node-dishonest-'));
    const port = await freePort();
    const env = { CORRIDOR_HTTP_PORT: String(port) };
    let dishonest = await startTestNode({ dataDir, env });
    let w: WatcherProcess | undefined;
    try {
      await activeCorridor(dishonest, id);
      for (let i = 0; i < 6; i++) {
        const r = await dishonest.api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${i}`, amount: '10.00', currency: 'USD' } } });
        expect(r.status).toBe(201);
      }
      const honest = (await dishonest.api('GET', `/corridors/${id}/receipts?after=-1&limit=10`)).body.receipts as JsonObject[];
      w = await prepareWatcherProcess({ nodes: [dishonest.url], corridors: [id] });
      await w.start();
      expect((await dishonest.api('POST', '/watcher-bonds', { watcher_id: w.did, bond_id: 'bond-1', amount: '1000.00', currency: 'USDC', corridor_ids: [id] })).status).toBe(201);
      await waitFor(async () => (await dishonest.api('GET', `/corridors/${id}`)).body.watcher_quorum?.receipt_count === 6, { timeoutMs: 30_000, what: 'the honest head attested' });

      // Stopped, its state channel rewritten from receipt 3 with forged receipts signed by its own key, restarted.
      await dishonest.close();
      const key = Ed25519KeyPair.fromJwk(parseJsonText(readFileSync(join(dataDir, 'node.jwk'), 'utf8')));
      expect(await rewriteStateChannel(dataDir, id, 3, key)).toEqual({ replaced: 3 });
      // Its read models would notice the rewrite: a thorough forger rebuilds them too.
      for (const f of readdirSync(dataDir)) if (f.startsWith('projections.sqlite')) rmSync(join(dataDir, f));
      dishonest = await startTestNode({ dataDir, env });

      const halted = await waitFor(async () => {
        const v = (await dishonest.api('GET', `/corridors/${id}`)).body;
        return v.state === 'HALTED' ? v : null;
      }, { timeoutMs: 30_000, what: `the corridor halted by the watcher's alarm\n${w.output()}` });
      expect(halted.open_fork).toMatchObject({ sequence: 3, prev_root: honest[2]!.next_root });
      const h = await w.health();
      expect(h.status).toBe(503);
      const alarm = h.body.corridors[0].alarms[0];
      expect(alarm).toMatchObject({ sequence: 3, prev_root: honest[2]!.next_root, reason: 'node-rewrote-history', deliveries: [{ node: dishonest.url, status: 'accepted' }] });
      expect(alarm.next_roots).toContain(honest[3]!.next_root);
      expect(h.body.subscriptions[0]).toMatchObject({ state: 'diverged', problem: expect.stringContaining('rewrote receipt 3') });
      expect(w.output()).toContain('"event":"fork-alarm"');
    } finally {
      await w?.stop();
      await dishonest.close();
    }
  });
});
