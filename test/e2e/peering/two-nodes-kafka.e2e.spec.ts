/**
 * The scaled transport: two node processes exchange receipts, proposals, co-signatures and checkpoints over a
 * Kafka-protocol broker (the project's librdkafka mock cluster, three brokers). 1,000 transitions from both
 * sides, through a partition-leader failure, a SIGKILL of the co-signing node and a 30-second outage of every
 * broker; both nodes end with the same chain byte for byte, every receipt co-signed, and co-signed checkpoints.
 */
import { computeNextRoot, verifyProofs } from '@corridor/protocol';
import { sleep, startKafkaBroker, type KafkaBroker } from '../../support/infra';
import { activateOnBoth, converged, verifyWithCli, record, startPair, stopPair, type CorridorPair } from './peering-fixture';

jest.setTimeout(420_000);

const TOPICS = [
  { name: 'corridor.peer.messages', partitions: 3 },
  { name: 'corridor.peer.checkpoints', partitions: 1 },
];

/** `count` transitions, alternating sides, `inFlight` at a time; returns how many each side recorded. */
async function traffic(pair: CorridorPair, from: number, count: number, inFlight = 8): Promise<void> {
  for (let i = from; i < from + count; i += inFlight) {
    const batch = [];
    for (let j = i; j < Math.min(i + inFlight, from + count); j++) batch.push(record(j % 2 === 0 ? pair.pk : pair.ae, pair.corridorId, j));
    await Promise.all(batch);
  }
}

describe('two nodes share a corridor over Kafka', () => {
  let broker: KafkaBroker | undefined;
  let pair: CorridorPair | undefined;
  afterAll(async () => {
    await stopPair(pair);
    await broker?.stop();
  });

  it('converge through a leader failure, a SIGKILL and a broker outage, with nothing lost or duplicated', async () => {
    broker = await startKafkaBroker({ brokers: 3, topics: TOPICS, maxSeconds: 900 });
    // HTTP catch-up stays on (it is every node's safety net); a slow sync period keeps Kafka the main path.
    pair = await startPair('kafka-pair', { CORRIDOR_PEER_TRANSPORT: 'kafka', KAFKA_BROKERS: broker.brokers.join(','), CORRIDOR_PEER_SYNC_INTERVAL_MS: '3000' });
    await activateOnBoth(pair);

    await traffic(pair, 0, 300);

    // The partition leader goes down mid-stream and comes back.
    for (const t of TOPICS) for (let part = 0; part < t.partitions; part++) await broker.control(`leader ${t.name} ${part} 2`);
    const during = traffic(pair, 300, 200);
    await sleep(300);
    await broker.control('down 2');
    await sleep(3000);
    await broker.control('up 2');
    await during;

    // The co-signer is killed with SIGKILL while the sequencer goes on, then restarts on its own files.
    await pair.ae.kill();
    for (let i = 500; i < 600; i++) await record(pair.pk, pair.corridorId, i);
    await pair.ae.start();

    // Every broker stops serving for 30 s while both sides keep recording.
    await Promise.all([1, 2, 3].map((b) => broker!.control(`down ${b}`)));
    const outage = traffic(pair, 600, 200, 4);
    await sleep(30_000);
    await Promise.all([1, 2, 3].map((b) => broker!.control(`up ${b}`)));
    await outage;

    await traffic(pair, 800, 200);

    const result = await converged(pair, 1000, 240_000);
    expect(result.aeReceipts).toEqual(result.pkReceipts);
    // The auditor's offline check passes on each node's export: every receipt signed by both zones (2-of-2).
    for (const node of [pair.pk, pair.ae]) {
      const report = await verifyWithCli(node, pair.corridorId);
      expect(report.valid).toBe(true);
      expect(report.receipt_count).toBe(1000);
      expect(report.mmr.root).toBe(result.pkCorridor.state_channel.head.mmr.root);
    }
    expect(result.pkCorridor.state_channel.head.mmr.root).toBe(result.aeCorridor.state_channel.head.mmr.root);
    const receipts = result.pkReceipts.map((t) => JSON.parse(t));
    receipts.forEach((r, i) => {
      expect(r.sequence).toBe(i);
      expect(computeNextRoot(r)).toBe(r.next_root);
      if (i > 0) expect(r.prev_root).toBe(receipts[i - 1].next_root);
      expect(verifyProofs(r).filter((p) => p.ok).map((p) => p.verificationMethod.split('#')[0])).toEqual([pair!.pk.did, ...[pair!.ae.did]]);
    });
    const invoices = receipts.map((r) => r.transition.payload.invoice as string);
    expect(new Set(invoices).size).toBe(1000); // nothing duplicated…
    const expected = Array.from({ length: 1000 }, (_, i) => (i >= 500 && i < 600 ? `INV-PK-${i}` : `INV-${i % 2 === 0 ? 'PK' : 'AE'}-${i}`));
    expect([...invoices].sort()).toEqual([...expected].sort()); // …nothing lost

    // Kafka carried the traffic: the co-signer received receipts and the sequencer proposals through it.
    const [pkStatus, aeStatus] = await Promise.all([pair.pk.api('GET', '/peering/status'), pair.ae.api('GET', '/peering/status')]);
    expect(pkStatus.body.transport).toBe('kafka');
    expect(pkStatus.body.counters['proposal.applied']).toBeGreaterThan(0);
    expect(aeStatus.body.counters['receipt.appended']).toBeGreaterThan(0);
  });
});
