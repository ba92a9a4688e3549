import { randomUUID } from 'node:crypto';
import { NO_STREAM } from '../port/event-store.port';
import { SqliteEventStore } from './sqlite-event-store';

/** `headPosition` on the SQLite store: the last position of the log, where a reader may resume. */
describe('SQLite event store: head position', () => {
  const event = () => ({ id: randomUUID(), type: 'E', data: '{}' });

  it('given an empty log, then there is no head; given appends, then the head is the last event', async () => {
    const store = SqliteEventStore.open({ path: ':memory:' });
    try {
      expect(await store.headPosition()).toBeUndefined();

      await store.append('a', [event(), event()], NO_STREAM);
      await store.append('b', [event()], NO_STREAM);

      const all = await store.readAll();
      expect(await store.headPosition()).toEqual(all[all.length - 1]!.position);
      expect(await store.headPosition()).toEqual({ commit: 3n, prepare: 3n });
    } finally {
      await store.close();
    }
  });

  it('given a head, when more is appended, then a read from the head returns its event and what came after', async () => {
    const store = SqliteEventStore.open({ path: ':memory:' });
    try {
      await store.append('a', [event(), event()], NO_STREAM);
      const head = (await store.headPosition())!;

      await store.append('x-1', [event()], NO_STREAM);

      const read = await store.readAll({ fromPosition: head, filter: { on: 'stream', prefixes: ['x-'] } });
      expect(read.map((e) => e.stream)).toEqual(['x-1']);
    } finally {
      await store.close();
    }
  });
});
