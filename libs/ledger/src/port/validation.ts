import { InvalidAppendError } from './errors';
import { isEventId } from './event-id';
import { NO_STREAM, type EventToAppend, type ExpectedRevision } from './event-store.port';

/** Checks every adapter applies before an append reaches its storage, so all adapters refuse the same inputs. */
export function validateAppend(stream: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): void {
  if (typeof stream !== 'string' || stream.length === 0) throw new InvalidAppendError('a stream name must be a non-empty string');
  if (stream.startsWith('$')) throw new InvalidAppendError(`stream names starting with "$" are reserved for the store: ${stream}`);
  if (expectedRevision !== NO_STREAM && !(Number.isSafeInteger(expectedRevision) && expectedRevision >= 0)) {
    throw new InvalidAppendError(`expectedRevision must be "${NO_STREAM}" or a revision >= 0, got ${String(expectedRevision)}`);
  }
  if (!Array.isArray(events) || events.length === 0) throw new InvalidAppendError('an append needs at least one event');
  const seen = new Set<string>();
  for (const e of events) {
    if (!isEventId(e.id)) throw new InvalidAppendError(`event id must be a lowercase UUID, got ${JSON.stringify(e.id)}`);
    if (seen.has(e.id)) throw new InvalidAppendError(`event id ${e.id} appears twice in one append`);
    seen.add(e.id);
    if (typeof e.type !== 'string' || e.type.length === 0 || e.type.startsWith('$')) {
      throw new InvalidAppendError(`event type must be a non-empty string not starting with "$", got ${JSON.stringify(e.type)}`);
    }
    if (typeof e.data !== 'string') throw new InvalidAppendError('event data must be a string (JSON text)');
    if (e.metadata !== undefined && (typeof e.metadata !== 'object' || e.metadata === null || Array.isArray(e.metadata))) {
      throw new InvalidAppendError('event metadata must be a JSON object');
    }
  }
}

export function matchesFilter(stream: string, type: string, filter: { on: 'stream' | 'event-type'; prefixes: readonly string[] } | undefined): boolean {
  if (!filter) return true;
  const subject = filter.on === 'stream' ? stream : type;
  return filter.prefixes.some((p) => subject.startsWith(p));
}
