/**
 * An equivocating sequencer: the test harness holds the sequencer's key and signs a second receipt at a sequence
 * the co-signer already holds. The co-signer catches it, halts with a fork-alarm credential, and the alarm halts
 * the sequencer too. Nothing is accepted while halted; a fork-resolution credential resumes both.
 */
import { addProof, buildForkResolutionCredential, canonicalize, sealReceipt, withoutKeys, type JsonObject } from '@corridor/protocol';
import { encodeCloudEvent } from '@corridor/peering';
import { waitFor } from '../../support/infra';
import { activateOnBoth, allReceipts, converged, corridorOf, record, startPair, stopPair, type CorridorPair } from './peering-fixture';

jest.setTimeout(180_000);

describe('equivocation between peer nodes', () => {
  let pair: CorridorPair | undefined;
  afterAll(() => stopPair(pair));

  it('is caught by the peer, halts the corridor on both nodes with a fork alarm, and a fork resolution resumes it', async () => {
    pair = await startPair('equivocation');
    await activateOnBoth(pair);
    const { pk, ae, corridorId } = pair;
    for (let i = 0; i < 10; i++) await record(pk, corridorId, i);
    await converged(pair, 10);

    // The harness signs a different receipt at sequence 5 (same prev_root) with the sequencer's own key.
    const held = (await allReceipts(ae, corridorId))[5]!;
    const forged = addProof(
      sealReceipt({ ...(withoutKeys(held as JsonObject, 'proof', 'next_root') as JsonObject), transition: { type: 'MSEZTransitionEnvelope', kind: 'trade.invoice.issued.v1', payload: { invoice: 'FORGED', amount: '999999.00', currency: 'USD' } } }),
      pk.key,
      { created: '2026-01-01T00:00:00Z' },
    );
    // Pushed as the sequencer would: a request signed with its node key (peers authenticate by signature).
    const push = await ae.as({ key: pk.key }).api('POST', '/peering/messages', encodeCloudEvent({ kind: 'receipt', corridor_id: corridorId, receipt: forged }, { source: pk.did }), { 'content-type': 'application/cloudevents+json' });
    expect(push.status).toBe(202);

    // AE halts with a fork alarm; the alarm travels to PK, which halts too.
    await waitFor(async () => (await corridorOf(ae, corridorId)).state === 'HALTED', { timeoutMs: 20_000, what: 'AE to halt' });
    await waitFor(async () => (await corridorOf(pk, corridorId)).state === 'HALTED', { timeoutMs: 20_000, what: 'PK to halt on the alarm' });
    const aeView = await corridorOf(ae, corridorId);
    expect(aeView.open_fork).toEqual({ sequence: 5, prev_root: held.prev_root, next_root_a: held.next_root, next_root_b: forged.next_root });
    const pkView = await corridorOf(pk, corridorId);
    expect(pkView.open_fork).toEqual(aeView.open_fork);
    const alarm = (await ae.api('GET', `/corridors/${corridorId}/lifecycle/receipts`)).body.receipts.at(-1);
    expect(alarm.transition.payload.evidence[0].credential.type).toContain('MSEZCorridorForkAlarmCredential');
    expect(alarm.transition.payload.evidence[0].credential.issuer).toBe(ae.did);

    // Nothing is accepted while halted: the sequencer refuses new transitions, the chain is unchanged.
    const refused = await pk.api('POST', `/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: 'X' } } });
    expect(refused.status).toBe(409);
    expect((await allReceipts(ae, corridorId)).map((r) => canonicalize(r as never))).toEqual((await allReceipts(pk, corridorId)).map((r) => canonicalize(r as never)));

    // A fork resolution choosing the branch both hold, given to PK, resumes PK and then AE.
    const resolution = addProof(
      buildForkResolutionCredential({ corridor_id: corridorId, sequence: 5, prev_root: held.prev_root as string, chosen_next_root: held.next_root as string, issuer: pk.did, candidates: [held.next_root as string, forged.next_root as string] }),
      pk.key,
    );
    const resumed = await pk.api('POST', `/corridors/${corridorId}/resume`, { evidence: [resolution] });
    expect(resumed.status).toBe(201);
    await waitFor(async () => (await corridorOf(ae, corridorId)).state === 'ACTIVE', { timeoutMs: 20_000, what: 'AE to resume on the resolution' });

    for (let i = 10; i < 15; i++) await record(i % 2 ? ae : pk, corridorId, i);
    const result = await converged(pair, 15);
    expect(result.aeReceipts).toEqual(result.pkReceipts);
    const status = (await ae.api('GET', '/peering/status')).body;
    expect(status.counters['fork.detected']).toBe(1);
  });
});
