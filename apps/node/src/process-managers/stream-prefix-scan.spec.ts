import { EsdbEventStore, SqliteEventStore, type EventStore, type GlobalPosition, type ReadAllOptions, type StoredEvent } from '@corridor/ledger';
import { appendEvents as append, readAllStarts as starts } from '../../../../test/support/event-log';
import { startFakeEventStore } from '../../../../test/fakes/eventstore/fake-eventstore-server';
import { StreamPrefixScan } from './stream-prefix-scan';

type Store = SqliteEventStore | EsdbEventStore;

/** The embedded store, and EventStoreDB's adapter on the gRPC fake (a system event after every append). */
const stores: [string, () => Promise<{ store: Store; dispose: () => Promise<void> }>][] = [
  ['the SQLite event store', async () => {
    const store = SqliteEventStore.open({ path: ':memory:' });
    return { store, dispose: () => store.close() };
  }],
  ['the EventStoreDB adapter (gRPC fake)', async () => {
    const fake = await startFakeEventStore({ systemEventEvery: 1 });
    const store = EsdbEventStore.connect(fake.connectionString);
    return { store, dispose: async () => (await store.close(), await fake.stop()) };
  }],
];

/** One pass; returns the events it handed over as `stream#revision`. */
async function pass(scan: StreamPrefixScan): Promise<string[]> {
  const seen: StoredEvent[] = [];
  await scan.pass((e) => seen.push(e));
  return seen.map((e) => `${e.stream}#${e.revision}`);
}

describe.each(stores)('StreamPrefixScan on %s', (_name, open) => {
  let store: Store;
  let dispose: () => Promise<void>;
  let scan: StreamPrefixScan;
  beforeEach(async () => {
    ({ store, dispose } = await open());
    scan = new StreamPrefixScan(store, ['migration-', 'dispute-'], 5);
  });
  afterEach(() => dispose());
  const head = async (): Promise<GlobalPosition> => (await store.headPosition())!;

  it('given a log of non-matching events only, when a second pass runs, then it reads nothing the first pass read', async () => {
    await append(store, 'corridor-a', 2000);
    expect(await pass(scan)).toEqual([]);
    const firstHead = await head();
    const readAll = jest.spyOn(store, 'readAll');

    expect(await pass(scan)).toEqual([]);

    expect(starts(readAll)).toEqual([firstHead]); // one page, from the head as of the first pass: nothing before it
    expect(await readAll.mock.results[0]!.value).toEqual([]);
  });

  it('given a pass, when a matching event is appended, then the next pass hands it over, and the pass after that does not again', async () => {
    await append(store, 'corridor-a', 100);
    await pass(scan);

    await append(store, 'migration-m1', 1);

    expect(await pass(scan)).toEqual(['migration-m1#0']);
    expect(await pass(scan)).toEqual([]);
  });

  it('given a pass, when many non-matching events and then a matching one are appended, then the next pass finds it, reading only what was appended', async () => {
    await append(store, 'corridor-a', 1000);
    await pass(scan);
    const firstHead = await head();
    await append(store, 'corridor-b', 1200);
    await append(store, 'dispute-d1', 1);
    await append(store, 'corridor-a', 300);
    const readAll = jest.spyOn(store, 'readAll');

    expect(await pass(scan)).toEqual(['dispute-d1#0']);
    expect(starts(readAll)).toEqual([firstHead]);

    const secondHead = await head();
    readAll.mockClear();
    expect(await pass(scan)).toEqual([]);
    expect(starts(readAll)).toEqual([secondHead]);
  });

  it('given more matching events than a page, when passes run, then each is handed over once, in commit order', async () => {
    for (let i = 0; i < 4; i++) {
      await append(store, `migration-m${i}`, 3);
      await append(store, 'corridor-a', 50);
    }

    const first = await pass(scan);
    await append(store, 'migration-m0', 1);
    const second = await pass(scan);

    expect(first).toEqual(['m0', 'm1', 'm2', 'm3'].flatMap((m) => [0, 1, 2].map((r) => `migration-${m}#${r}`)));
    expect(second).toEqual(['migration-m0#3']);
  });

  it('given an event committed while a pass runs, then that pass or the next hands it over, once', async () => {
    await append(store, 'corridor-a', 100);
    const readAll = store.readAll.bind(store);
    const headPosition = store.headPosition.bind(store);
    // Committed after the head was read but before the filtered read: beyond the head, seen by this read.
    jest.spyOn(store, 'headPosition').mockImplementationOnce(async () => {
      const head = await headPosition();
      await append(store, 'migration-early', 1);
      return head;
    });
    // Committed after the filtered read reached the end: beyond the head too, so the next pass starts before it.
    jest.spyOn(store, 'readAll').mockImplementationOnce(async (o?: ReadAllOptions) => {
      const page = await readAll(o);
      await append(store, 'corridor-a', 10);
      await append(store, 'migration-late', 1);
      return page;
    });

    expect(await pass(scan)).toEqual(['migration-early#0']);
    expect(await pass(scan)).toEqual(['migration-late#0']);
    expect(await pass(scan)).toEqual([]);
  });

  it('given a pass whose handler fails, then the next pass resumes after the last event handed over', async () => {
    await append(store, 'migration-m1', 1);
    await append(store, 'migration-m2', 1);
    await append(store, 'corridor-a', 10);
    const seen: string[] = [];

    await expect(
      scan.pass((e) => {
        if (e.stream === 'migration-m2') throw new Error('not now');
        seen.push(e.stream);
      }),
    ).rejects.toThrow('not now');

    expect(seen).toEqual(['migration-m1']);
    expect(await pass(scan)).toEqual(['migration-m2#0']);
  });

  it('given a store that cannot tell its head, then passes still find every matching event (reading from the last one)', async () => {
    const headless: EventStore = {
      append: (s, e, x) => store.append(s, e, x),
      read: (s, o) => store.read(s, o),
      readLast: (s) => store.readLast(s),
      readAll: (o) => store.readAll(o),
      subscribeToAll: (o) => store.subscribeToAll(o),
      close: () => store.close(),
    };
    const scanHeadless = new StreamPrefixScan(headless, ['migration-'], 5);
    await append(store, 'migration-m1', 1);
    await append(store, 'corridor-a', 10);

    expect(await pass(scanHeadless)).toEqual(['migration-m1#0']);
    await append(store, 'migration-m2', 1);
    expect(await pass(scanHeadless)).toEqual(['migration-m2#0']);
    expect(await pass(scanHeadless)).toEqual([]);
  });
});
