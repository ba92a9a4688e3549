import { randomUUID } from 'node:crypto';
import { NO_STREAM, type EventStore, type ReadAllOptions } from '@corridor/ledger';

/** Appends `count` events to `stream` (created or continued), in appends of at most 500; data `"stream#n"`. */
export async function appendEvents(store: EventStore, stream: string, count: number): Promise<void> {
  let last = (await store.readLast(stream))?.revision;
  for (let done = 0; done < count; ) {
    const n = Math.min(500, count - done);
    const r = await store.append(stream, Array.from({ length: n }, (_, i) => ({ id: randomUUID(), type: 'E', data: `"${stream}#${done + i}"` })), last ?? NO_STREAM);
    last = r.nextExpectedRevision;
    done += n;
  }
}

/** Where each `readAll` a spy saw started (undefined: the start of the log). */
export function readAllStarts(spy: jest.SpyInstance): ReadAllOptions['fromPosition'][] {
  return spy.mock.calls.map(([o]: [ReadAllOptions]) => o.fromPosition);
}
