import { randomUUID } from 'node:crypto';
import { comparePositions, NO_STREAM } from '../port/event-store.port';
import { startFakeEventStore, type RunningFakeEventStore } from '../../../../test/fakes/eventstore/fake-eventstore-server';
import { EsdbEventStore } from './esdb-event-store';

/** `headPosition` on EventStoreDB (against the gRPC fake): the last position of `$all`, system events included. */
describe('EventStoreDB adapter: head position', () => {
  let fake: RunningFakeEventStore;
  let store: EsdbEventStore;
  beforeEach(async () => {
    fake = await startFakeEventStore({ systemEventEvery: 2 });
    store = EsdbEventStore.connect(fake.connectionString);
  });
  afterEach(async () => {
    await store.close();
    await fake.stop();
  });
  const event = () => ({ id: randomUUID(), type: 'E', data: '{}' });

  it('given an empty log, then there is no head; given appends, then the head is the last event', async () => {
    expect(await store.headPosition()).toBeUndefined();

    await store.append('a', [event(), event()], NO_STREAM);

    const all = await store.readAll();
    expect(await store.headPosition()).toEqual(all[all.length - 1]!.position);
  });

  it('given a system event last in $all, then the head is its position, past every event readAll returns, and a read from it works', async () => {
    await store.append('a', [event()], NO_STREAM);
    await store.append('b', [event()], NO_STREAM); // the second append: a $statsCollected follows it

    const head = (await store.headPosition())!;
    const all = await store.readAll();
    expect(comparePositions(head, all[all.length - 1]!.position)).toBeGreaterThan(0);
    expect(await store.readAll({ fromPosition: head })).toEqual([]);

    await store.append('x-1', [event()], NO_STREAM);
    expect((await store.readAll({ fromPosition: head, filter: { on: 'stream', prefixes: ['x-'] } })).map((e) => e.stream)).toEqual(['x-1']);
  });
});
