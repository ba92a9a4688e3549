/**
 * The node's side of watching (spec/watchers.md): the receipt stream as Server-Sent Events, resumable; watcher
 * attestations verified and counted to quorum, which is itself a receipt; equivocation slashed with evidence.
 */
import { addProof, buildWatcherAttestationCredential, Ed25519KeyPair, signRequest, utcSeconds, type JsonObject } from '@corridor/protocol';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, TEST_OPERATOR_TOKEN, type TestNode } from '../support/node-harness';

const operator = { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` };
/** A bonded watcher's request: signed with its did:key over method and path (spec/security.md). */
const signedBy = (key: Ed25519KeyPair, url: string) => ({ authorization: signRequest({ method: 'GET', path: new URL(url).pathname + new URL(url).search }, key) });

jest.setTimeout(60_000);

interface SseEvent {
  event: string;
  id?: string;
  data: any;
}

/** Reads SSE events until `until` says stop (or the timeout); aborts the request. */
async function readEvents(url: string, headers: Record<string, string>, until: (events: SseEvent[]) => boolean, timeoutMs = 10_000): Promise<SseEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const res = await fetch(url, { headers, signal: controller.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events: SseEvent[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
        if (fields.event) events.push({ event: fields.event, id: fields.id, data: JSON.parse(fields.data) });
      }
      if (until(events)) break;
    }
  } catch (e) {
    if ((e as Error).name !== 'AbortError') throw e;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

const watchers = [1, 2, 3].map((i) => Ed25519KeyPair.fromSeed(Buffer.alloc(32, 40 + i), `watcher-${i}`));

function attest(watcher: Ed25519KeyPair, corridorId: string, checkpoint: JsonObject): JsonObject {
  const vc = buildWatcherAttestationCredential({ corridor_id: corridorId, checkpoint, checkpoint_uri: `checkpoints/${String(checkpoint.receipt_count)}.json`, issuer: watcher.did, no_fork_observed: true });
  return addProof(vc, watcher, { created: utcSeconds(new Date()) });
}

describe('watchers on a node', () => {
  let node: TestNode;
  const corridorId = 'org.example.corridor.watched';
  beforeAll(async () => {
    node = await startTestNode();
    await activeCorridor(node, corridorId);
    for (let i = 0; i < 5; i++) await node.api('POST', `/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${i}` } } });
    for (const [i, w] of watchers.entries()) {
      const r = await node.api('POST', '/watcher-bonds', { watcher_id: w.did, bond_id: `bond-${i}`, amount: '1000.00', currency: 'USDC', corridor_ids: [corridorId] });
      expect(r.status).toBe(201);
    }
  });
  afterAll(() => node.close());

  it('streams every receipt with its sequence as event id, then the head checkpoint; resumes after Last-Event-ID', async () => {
    const url = `${node.url}/corridors/${corridorId}/stream`;
    const all = await readEvents(url, signedBy(watchers[0]!, url), (ev) => ev.some((e) => e.event === 'checkpoint'));
    const receipts = all.filter((e) => e.event === 'receipt');
    expect(receipts.map((e) => e.id)).toEqual(['0', '1', '2', '3', '4']);
    expect(receipts.map((e) => e.data.sequence)).toEqual([0, 1, 2, 3, 4]);
    const checkpoint = all.find((e) => e.event === 'checkpoint')!.data;
    expect(checkpoint.receipt_count).toBe(5);
    expect(checkpoint.final_state_root).toBe(receipts[4]!.data.next_root);

    const resumed = await readEvents(url, { 'last-event-id': '2', ...signedBy(watchers[1]!, url) }, (ev) => ev.some((e) => e.event === 'checkpoint'));
    expect(resumed.filter((e) => e.event === 'receipt').map((e) => e.id)).toEqual(['3', '4']);

    // A live subscriber sees a new receipt as it is appended.
    const live = readEvents(url, { 'last-event-id': '4', ...operator }, (ev) => ev.some((e) => e.event === 'receipt'));
    await new Promise((r) => setTimeout(r, 200));
    await node.api('POST', `/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: 'INV-live' } } });
    expect((await live).find((e) => e.event === 'receipt')!.data.transition.payload.invoice).toBe('INV-live');

    expect((await fetch(`${url}?after=abc`, { headers: operator })).status).toBe(400);
    expect((await fetch(`${node.url}/corridors/no-such/stream`, { headers: operator })).status).toBe(404);
    expect((await fetch(url)).status).toBe(401);
  });

  it('counts attestations of bonded watchers to quorum, records it as a receipt, and slashes an equivocating watcher', async () => {
    const checkpoint = (await node.api('GET', `/corridors/${corridorId}/checkpoint`)).body;
    const size = checkpoint.receipt_count as number;

    // Not bonded: refused.
    const stranger = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 99), 'stranger');
    const refused = await node.api('POST', `/corridors/${corridorId}/attestations`, { attestation: attest(stranger, corridorId, checkpoint) });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('https://corridor-ledger.dev/problems/watcher-not-bonded');

    // A tampered attestation: refused with the reason.
    const tampered = { ...attest(watchers[0]!, corridorId, checkpoint), issuanceDate: '2020-01-01T00:00:00Z' };
    const bad = await node.api('POST', `/corridors/${corridorId}/attestations`, { attestation: tampered });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/no valid proof/);

    // A watcher submits its own attestation (a signed request); an operator may relay one (the next).
    const first = await node.as({ key: watchers[0]! }).api('POST', `/corridors/${corridorId}/attestations`, { attestation: attest(watchers[0]!, corridorId, checkpoint) });
    expect(first.status).toBe(201);
    expect(first.body.quorum).toMatchObject({ required: 2, bonded: 3, attesting: 1, head: null });
    const second = await node.api('POST', `/corridors/${corridorId}/attestations`, { attestation: attest(watchers[1]!, corridorId, checkpoint) });
    expect(second.status).toBe(201);
    expect(second.body.quorum.head).toMatchObject({ receipt_count: size, final_state_root: checkpoint.final_state_root });

    const corridor = (await node.api('GET', `/corridors/${corridorId}`)).body;
    expect(corridor.finality).toBe('watcher_quorum');
    expect(corridor.watcher_quorum.watchers.sort()).toEqual([watchers[0]!.did, watchers[1]!.did].sort());
    const lifecycle = (await node.api('GET', `/corridors/${corridorId}/lifecycle/receipts`)).body.receipts;
    expect(lifecycle.at(-1).transition.kind).toBe('corridor.watcher-quorum-reached.v1');

    // Watcher 3 first signs a head that is not the chain at that height (refused, but kept as evidence)…
    const forged = attest(watchers[2]!, corridorId, { ...checkpoint, final_state_root: 'f'.repeat(64) });
    const mismatch = await node.api('POST', `/corridors/${corridorId}/attestations`, { attestation: forged });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.type).toBe('https://corridor-ledger.dev/problems/head-mismatch');
    // …then the real head at the same height: two heads at one height is equivocation, slashed 100 %.
    const equivocation = await node.api('POST', `/corridors/${corridorId}/attestations`, { attestation: attest(watchers[2]!, corridorId, checkpoint) });
    expect(equivocation.status).toBe(409);
    expect(equivocation.body.type).toBe('https://corridor-ledger.dev/problems/watcher-equivocation');
    const bond = (await node.api('GET', `/watcher-bonds/${watchers[2]!.did}`)).body;
    expect(bond.status).toBe('SLASHED');
    expect(bond.bond.remaining).toBe('0');
    const slash = (await node.api('GET', `/watcher-bonds/${watchers[2]!.did}/receipts`)).body.receipts.at(-1);
    expect(slash.transition.payload.evidence.attestations).toHaveLength(2);
  });
});
