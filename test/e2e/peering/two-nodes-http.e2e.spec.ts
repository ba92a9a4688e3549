/**
 * Two jurisdiction nodes, each its own process with its own SQLite files and key, share a PK↔AE corridor over the
 * embedded transport (HTTP push + pull). PK sequences; AE's transitions travel as proposals. Both end with the
 * same chain byte for byte, every receipt co-signed by both zones, and co-signed checkpoints.
 */
import { computeNextRoot, verifyProofs } from '@corridor/protocol';
import { activateOnBoth, converged, verifyWithCli, record, startPair, stopPair, type CorridorPair } from './peering-fixture';

jest.setTimeout(240_000);

describe('two nodes share a corridor over HTTP', () => {
  let pair: CorridorPair | undefined;
  afterAll(() => stopPair(pair));

  it('orders transitions from both sides into one chain both nodes sign, and survives a SIGKILL of the co-signer', async () => {
    pair = await startPair('http-pair');
    await activateOnBoth(pair);
    const { pk, ae, corridorId } = pair;

    // 100 from each side, interleaved, a few in flight at once.
    const statuses: number[] = [];
    for (let i = 0; i < 100; i += 10) {
      const batch = [];
      for (let j = i; j < i + 10; j++) batch.push(record(pk, corridorId, j), record(ae, corridorId, j));
      statuses.push(...(await Promise.all(batch)));
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(100); // the sequencer answers with the receipt
    expect(statuses.filter((s) => s === 202)).toHaveLength(100); // the peer answers with the proposal

    // AE is killed with SIGKILL mid-stream; PK goes on; AE restarts on its files and catches up by itself.
    const more = Array.from({ length: 20 }, (_, i) => record(pk, corridorId, 100 + i));
    await ae.kill();
    await Promise.all(more);
    for (let i = 120; i < 150; i++) await record(pk, corridorId, i);
    await ae.start();
    for (let i = 100; i < 110; i++) await record(ae, corridorId, i);

    const total = 100 + 100 + 50 + 10;
    const result = await converged(pair, total);
    expect(result.aeReceipts).toEqual(result.pkReceipts); // byte for byte, proofs included
    // The auditor's offline check passes on each node's export: every receipt signed by both zones (2-of-2).
    for (const node of [pair.pk, pair.ae]) {
      const report = await verifyWithCli(node, pair.corridorId);
      expect(report.valid).toBe(true);
      expect(report.receipt_count).toBe(total);
      expect(report.mmr.root).toBe(result.pkCorridor.state_channel.head.mmr.root);
    }
    expect(result.pkCorridor.state_channel.head.mmr.root).toBe(result.aeCorridor.state_channel.head.mmr.root);
    expect(result.pkCorridor.state_channel.head.next_root).toBe(result.aeCorridor.state_channel.head.next_root);

    // Every receipt: next_root recomputes, continues the previous one, and carries both zones' valid proofs.
    const receipts = result.pkReceipts.map((t) => JSON.parse(t));
    receipts.forEach((r, i) => {
      expect(r.sequence).toBe(i);
      expect(computeNextRoot(r)).toBe(r.next_root);
      if (i > 0) expect(r.prev_root).toBe(receipts[i - 1].next_root);
      const signers = verifyProofs(r).filter((p) => p.ok).map((p) => p.verificationMethod.split('#')[0]);
      expect(new Set(signers)).toEqual(new Set([pk.did, ae.did]));
      expect(signers[0]).toBe(pk.did); // the sequencer's proof first
    });
    // Nothing lost or duplicated: each client transition is in the chain exactly once.
    const invoices = receipts.map((r) => r.transition.payload.invoice);
    expect(new Set(invoices).size).toBe(total);
    for (let i = 0; i < 150; i++) expect(invoices).toContain(`INV-PK-${i}`);
    for (let i = 0; i < 110; i++) expect(invoices).toContain(`INV-AE-${i}`);

    // The latest checkpoint is the same document on both nodes, signed by both zones.
    const [cpA, cpB] = await Promise.all([pk.api('GET', `/corridors/${corridorId}/checkpoint`), ae.api('GET', `/corridors/${corridorId}/checkpoint`)]);
    expect(cpA.body).toEqual(cpB.body);
    expect(cpA.body.receipt_count).toBe(total);
    const cpSigners = verifyProofs(cpA.body).filter((p) => p.ok).map((p) => p.verificationMethod.split('#')[0]);
    expect(new Set(cpSigners)).toEqual(new Set([pk.did, ae.did]));
  });
});
