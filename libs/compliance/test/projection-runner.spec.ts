import * as path from 'node:path';
import { eventIdFromDigest, type AllSubscription, type EventStore, type StoredEvent, type SubscribeToAllOptions } from '@corridor/ledger';
import { sha256Hex } from '@corridor/protocol';
import { ProjectionConflictError, ProjectionGapError, ProjectionHost, type ProjectionDefinition, type ProjectionStore } from '@corridor/compliance';
import { recorderProjection } from './recorder';
import { BACKENDS } from './stores';
import { tempDir, TestLedger } from './support';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** An event store whose subscriptions deliver every event twice (a subscription that redelivers after a reconnect). */
function redelivering(inner: EventStore): EventStore {
  return {
    append: (...a) => inner.append(...a),
    read: (...a) => inner.read(...a),
    readLast: (...a) => inner.readLast(...a),
    readAll: (...a) => inner.readAll(...a),
    close: () => inner.close(),
    subscribeToAll(options?: SubscribeToAllOptions): AllSubscription {
      const sub = inner.subscribeToAll(options);
      return {
        caughtUp: sub.caughtUp,
        stop: () => sub.stop(),
        async *[Symbol.asyncIterator]() {
          let previous: StoredEvent | undefined;
          for await (const e of sub) {
            yield e;
            if (previous) yield previous;
            yield e;
            previous = e;
          }
        },
      };
    },
  };
}

async function recorded(store: ProjectionStore, name = 'recorder'): Promise<Map<string, number[]>> {
  const { active } = await store.generations(name);
  const entries = await store.reader(name, active!).entries('streams');
  return new Map(entries.map(([k, d]) => [k, (d as { sequences: number[] }).sequences]));
}

describe.each(BACKENDS.map((b) => [b().name, b] as const))('projection runner on %s', (_name, backendOf) => {
  const backend = backendOf();
  let tmp: ReturnType<typeof tempDir>;
  let n = 0;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    await backend.setup();
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    tmp.cleanup();
    await backend.teardown();
  });

  async function fixture() {
    const ledger = TestLedger.open(path.join(tmp.dir, `ledger-${++n}.db`));
    const store = await backend.open();
    cleanups.push(async () => {
      await store.close();
      await ledger.close();
    });
    return { ledger, store };
  }

  function host(events: EventStore, store: ProjectionStore, projections = [recorderProjection()], maxBatchEvents = 7) {
    const h = new ProjectionHost({ events, store, projections, batch: { maxBatchEvents, maxBatchMs: 1000 } });
    cleanups.push(() => h.stop());
    return h;
  }

  it('folds every event exactly once, in order, and resumes exactly after its checkpoint', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(50)) await ledger.append(`s${i % 3}`, 'test.happened.v1', { i });
    const h1 = host(ledger.events, store);
    await h1.start();
    await h1.caughtUp();
    expect(h1.projection('recorder').events).toBe(50);
    await h1.stop();
    for (const i of range(31)) await ledger.append(`s${(i + 50) % 4}`, 'test.happened.v1', { i: i + 50 });
    const h2 = host(ledger.events, store);
    await h2.start();
    await h2.caughtUp();
    const seqs = await recorded(store);
    expect(seqs).toEqual(
      new Map([
        // first wave: i % 3 over 0..49; second wave: i % 4 over 50..80 (residues 2, 3, 0 eight times, 1 seven times)
        ['s0', range(17 + 8)],
        ['s1', range(17 + 7)],
        ['s2', range(16 + 8)],
        ['s3', range(8)],
      ]),
    );
    const last = (await ledger.events.readAll()).at(-1)!.position;
    const cp = await store.reader('recorder', (await store.generations('recorder')).active!).checkpoint();
    expect(cp).toEqual({ position: last, events: 81, meta: { marker: 'gen-1' } });
  });

  it('keeps folding live events after catching up and commits them', async () => {
    const { ledger, store } = await fixture();
    await ledger.append('a', 'test.happened.v1', { i: 0 });
    const h = host(ledger.events, store);
    await h.start();
    await h.caughtUp();
    const p = await ledger.append('a', 'test.happened.v1', { i: 1 });
    await ledger.append('b', 'test.happened.v1', { i: 2, plain: true }, { plain: true });
    await h.waitFor(p);
    const q = await ledger.append('a', 'test.happened.v1', { i: 3 });
    await h.waitFor(q);
    expect(await recorded(store)).toEqual(new Map([['a', [0, 1, 2]], ['b', [0]]]));
  });

  it('folds a redelivered event only once', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(20)) await ledger.append(`s${i % 2}`, 'test.happened.v1', { i });
    const h = host(redelivering(ledger.events), store, [recorderProjection()], 3);
    await h.start();
    await h.caughtUp();
    expect(await recorded(store)).toEqual(new Map([['s0', range(10)], ['s1', range(10)]]));
    expect(h.projection('recorder').events).toBe(20);
  });

  it('stops at a missing sequence, with the checkpoint right before it, and stops there again after a restart', async () => {
    const { ledger, store } = await fixture();
    await ledger.append('a', 'test.happened.v1', { i: 0 });
    await ledger.append('b', 'test.happened.v1', { i: 1 });
    const beforeGap = await ledger.append('a', 'test.happened.v1', { i: 2 });
    await ledger.append('a', 'test.happened.v1', { i: 3 }, { sequence: 3 }); // sequence 2 never written
    await ledger.append('b', 'test.happened.v1', { i: 4 });
    const h = host(ledger.events, store, [recorderProjection()], 1000);
    await h.start();
    const p = h.projection('recorder');
    await expect(p.done).rejects.toBeInstanceOf(ProjectionGapError);
    const e = p.error as ProjectionGapError;
    expect([e.stream, e.expected, e.actual]).toEqual(['a', 2, 3]);
    expect(e.message).toMatch(/sequences 2\.\.2 are missing/);
    expect(p.state).toBe('failed');
    const gen = (await store.generations('recorder')).active!;
    expect((await store.reader('recorder', gen).checkpoint()).position).toEqual(beforeGap);
    expect(await recorded(store)).toEqual(new Map([['a', [0, 1]], ['b', [0]]]));
    await h.stop();
    const again = host(ledger.events, store);
    await again.start();
    await expect(again.projection('recorder').done).rejects.toBeInstanceOf(ProjectionGapError);
    expect(await recorded(store)).toEqual(new Map([['a', [0, 1]], ['b', [0]]]));
  });

  it('stops at a repeated or reordered sequence', async () => {
    const { ledger, store } = await fixture();
    await ledger.append('a', 'test.happened.v1', { i: 0 });
    await ledger.append('a', 'test.happened.v1', { i: 1 });
    await ledger.append('a', 'test.happened.v1', { i: 2 }, { sequence: 1 });
    const h = host(ledger.events, store);
    await h.start();
    await expect(h.projection('recorder').done).rejects.toThrow(/delivered sequence 1 .* next sequence is 2 \(already folded/);
    expect(await recorded(store)).toEqual(new Map([['a', [0, 1]]]));
  });

  it('stops at an event it cannot read, never skipping it', async () => {
    const { ledger, store } = await fixture();
    await ledger.append('a', 'test.happened.v1', { i: 0 });
    await ledger.events.append('a', [{ id: eventIdFromDigest(sha256Hex('garbage')), type: 'test.happened.v1', data: 'not json' }], 0);
    const h = host(ledger.events, store);
    await h.start();
    await expect(h.projection('recorder').done).rejects.toThrow(/a@1: event data is not JSON/);
    expect(await recorded(store)).toEqual(new Map([['a', [0]]]));
  });

  it('commits nothing of a batch whose fold failed, and a restart folds it again exactly once', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(12)) await ledger.append('a', 'test.happened.v1', { i });
    let refuse = true;
    const flaky = recorderProjection({ failOn: (_s, seq) => refuse && seq === 9 });
    const h = host(ledger.events, store, [flaky], 5);
    await h.start();
    await expect(h.projection('recorder').done).rejects.toThrow(/refusing a#9/);
    expect(await recorded(store)).toEqual(new Map([['a', range(5)]]));
    await h.stop();
    refuse = false;
    const h2 = host(ledger.events, store, [flaky], 5);
    await h2.start();
    await h2.caughtUp();
    expect(await recorded(store)).toEqual(new Map([['a', range(12)]]));
  });

  it('folds only the streams of its prefixes, gap-checking those', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(10)) await ledger.append(i % 2 ? 'corridor-x' : 'other-y', 'test.happened.v1', { i });
    const h = host(ledger.events, store, [recorderProjection({ name: 'only_corridors', streamPrefixes: ['corridor-'] }), recorderProjection()]);
    await h.start();
    await h.caughtUp();
    expect(await recorded(store, 'only_corridors')).toEqual(new Map([['corridor-x', range(5)]]));
    expect(await recorded(store)).toEqual(new Map([['corridor-x', range(5)], ['other-y', range(5)]]));
    expect(h.projection('only_corridors').events).toBe(5);
  });

  it('lets one projection fail without stopping the others', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(6)) await ledger.append('a', 'test.happened.v1', { i });
    const h = host(ledger.events, store, [recorderProjection({ name: 'broken', failOn: (_s, seq) => seq === 2 }), recorderProjection()]);
    await h.start();
    await expect(h.projection('broken').done).rejects.toThrow(/refusing a#2/);
    await h.projection('recorder').caughtUp;
    const p = await ledger.append('a', 'test.happened.v1', { i: 6 });
    await h.projection('recorder').waitFor(p);
    expect(await recorded(store)).toEqual(new Map([['a', range(7)]]));
  });

  it('moves index entries of a document the fold changed in place, within a batch and across batches', async () => {
    const { ledger } = await fixture();
    const inPlace: ProjectionDefinition = {
      name: 'in_place',
      collections: { docs: { index: (d) => ({ last: [String((d as { last: number }).last)] }) } },
      async open() {
        return {
          async fold(record, tx) {
            const doc = ((await tx.get('docs', record.stream)) as { last: number } | undefined) ?? { last: -1 };
            doc.last = record.sequence; // changed in place, then put back
            tx.put('docs', record.stream, doc);
          },
        };
      },
    };
    for (const i of range(7)) await ledger.append('a', 'test.happened.v1', { i });
    for (const batch of [1, 3, 100]) {
      const s = await backend.reopen();
      cleanups.push(() => s.close());
      const name = `in_place_${batch}`;
      const h = host(ledger.events, s, [{ ...inPlace, name }], batch);
      await h.start();
      await h.caughtUp();
      const g = (await s.generations(name)).active!;
      const r = s.reader(name, g);
      expect(await r.keysBy('docs', 'last', '6')).toEqual(['a']);
      for (const old of range(6)) expect(await r.keysBy('docs', 'last', String(old))).toEqual([]);
    }
  });

  it('lets only one of two writers of the same generation commit; the other fails with a conflict', async () => {
    const { ledger, store } = await fixture();
    const h1 = host(ledger.events, store, [recorderProjection()], 1);
    await h1.start();
    await h1.caughtUp();
    const other = await backend.reopen();
    cleanups.push(() => other.close());
    const h2 = host(ledger.events, other, [recorderProjection()], 1);
    await h2.start();
    await h2.caughtUp();
    const p = await ledger.append('a', 'test.happened.v1', { i: 0 });
    const outcomes = await Promise.allSettled([h1.projection('recorder').waitFor(p), h2.projection('recorder').waitFor(p)]);
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toBeInstanceOf(ProjectionConflictError);
    expect(await recorded(store)).toEqual(new Map([['a', [0]]]));
  });
});
