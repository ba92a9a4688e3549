import { randomUUID } from 'node:crypto';
import { verifyConsistencyProof, verifyInclusionProof } from '@corridor/protocol';
import { EsdbEventStore, EventStoreUnavailableError, NO_STREAM, ReceiptChainWriter, type EventToAppend } from '@corridor/ledger';
import { startFakeEventStore, type RunningFakeEventStore } from '../../../test/fakes/eventstore/fake-eventstore-server';
import { chainEvent, NODE_KEY, profileFor, recomputedRoot, verifyStoredChain } from './support/chain-fixtures';

/** What the EventStoreDB adapter does beyond the shared contract, against the gRPC fake of the Streams API. */
describe('EventStoreDB adapter (on the gRPC fake)', () => {
  let fake: RunningFakeEventStore;
  beforeAll(async () => {
    fake = await startFakeEventStore({ systemEventEvery: 2 });
  });
  afterAll(async () => fake?.stop());

  const ev = (n: number): EventToAppend => ({ id: randomUUID(), type: 'E', data: String(n) });

  it('pages through $all, skipping system events, without losing or repeating one', async () => {
    const store = EsdbEventStore.connect(fake.connectionString, { readAllPageSize: 7 });
    try {
      const p = `page${randomUUID().slice(0, 6)}-`;
      const revisions = [NO_STREAM, NO_STREAM, NO_STREAM] as (number | typeof NO_STREAM)[];
      for (let i = 0; i < 30; i++) {
        const r = await store.append(`${p}${i % 3}`, [ev(i)], revisions[i % 3]!);
        revisions[i % 3] = r.nextExpectedRevision;
      }
      expect(fake.state.all.some((r) => r.stream.startsWith('$'))).toBe(true);
      const first = (await store.read(`${p}0`, { maxCount: 1 }))[0]!;
      const all = await store.readAll({ fromPosition: first.position });
      expect(all.filter((e) => e.stream.startsWith(p)).map((e) => e.data)).toEqual(Array.from({ length: 30 }, (_, i) => String(i)));
      expect(all.some((e) => e.stream.startsWith('$') || e.type.startsWith('$'))).toBe(false);
      const some = await store.readAll({ fromPosition: first.position, maxCount: 25, filter: { on: 'stream', prefixes: [p] } });
      expect(some.map((e) => e.data)).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    } finally {
      await store.close();
    }
  });

  it('reports an unreachable server as EventStoreUnavailableError (503)', async () => {
    const down = await startFakeEventStore();
    const url = down.connectionString;
    await down.stop();
    const store = EsdbEventStore.connect(`${url}&defaultDeadline=1500`);
    try {
      const error = await store.append(`gone-${randomUUID()}`, [ev(1)], NO_STREAM).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EventStoreUnavailableError);
      expect((error as EventStoreUnavailableError).toProblem()).toMatchObject({ status: 503, type: 'https://corridor-ledger.dev/problems/event-store-unavailable' });
    } finally {
      await store.close();
    }
  });

  it('carries receipt chains: the chain writer works unchanged on EventStoreDB', async () => {
    const store = EsdbEventStore.connect(fake.connectionString);
    const writer = new ReceiptChainWriter(store, NODE_KEY);
    try {
      const id = `esdb-${randomUUID().slice(0, 8)}`;
      const stream = `corridor-${id}`;
      let rev: number | typeof NO_STREAM = NO_STREAM;
      for (let i = 0; i < 12; i += 4) rev = (await writer.append(stream, profileFor(id), [0, 1, 2, 3].map((k) => chainEvent(i + k)), rev)).nextExpectedRevision;
      const pipelined = await Promise.all([12, 13, 14].map((i) => writer.append(stream, profileFor(id), [chainEvent(i)], i - 1)));
      expect(pipelined.map((r) => r.firstSequence)).toEqual([12, 13, 14]);
      const v = await verifyStoredChain(store, stream, id);
      expect(v.errors).toEqual([]);
      const receipts = await writer.receipts(stream);
      expect(v.result!.mmr.root).toBe(recomputedRoot(receipts));
      expect(verifyInclusionProof(await writer.inclusionProof(stream, 5, 9))).toEqual({ valid: true });
      const c = await writer.consistencyProof(stream, 4, 15);
      expect(verifyConsistencyProof(c, { oldSize: 4, oldRoot: recomputedRoot(receipts.slice(0, 4)), newSize: 15, newRoot: v.result!.mmr.root }).valid).toBe(true);
      // A restarted writer resumes from the last event alone.
      const again = new ReceiptChainWriter(store, NODE_KEY);
      expect((await again.head(stream))!.mmr.root).toBe(v.result!.mmr.root);
      // A retry of a stored append is recognised.
      expect((await again.append(stream, profileFor(id), [chainEvent(13)], 12)).idempotent).toBe(true);
    } finally {
      await writer.close();
      await store.close();
    }
  });
});
