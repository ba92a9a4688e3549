import {
  BACKWARDS,
  END,
  ErrorType,
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  streamNameFilter,
  type AllStreamResolvedEvent,
  type EventData,
  type RecordedEvent,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { EventStoreUnavailableError, WrongExpectedRevisionError } from '../port/errors';
import {
  NO_STREAM,
  type AllFilter,
  type AllSubscription,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type GlobalPosition,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type SubscribeToAllOptions,
} from '../port/event-store.port';
import { matchesFilter, validateAppend } from '../port/validation';
import { Latch } from '../util/wakeup';

export interface EsdbEventStoreOptions {
  /** Dispose the client on `close()` (default true when the store created the client). */
  readonly ownsClient?: boolean;
  /** Page size for `readAll` scans. Default 1000. */
  readonly readAllPageSize?: number;
}

/**
 * The event store on EventStoreDB (gRPC, `@eventstore/db-client`). Streams and exact expected revisions map
 * one to one; the global log is `$all` (system events excluded); catch-up subscriptions are `$all`
 * subscriptions with server-side filters. Event data is stored as exact bytes (`application/octet-stream`):
 * the client would re-serialise `application/json` data and lose the canonical form of receipts.
 * Needs EventStoreDB 23.10 or later (positions on stream reads, the subscriptions' caught-up message).
 */
export class EsdbEventStore implements EventStore {
  private readonly ownsClient: boolean;
  private readonly pageSize: number;
  private readonly subscriptions = new Set<EsdbAllSubscription>();

  constructor(
    readonly client: EventStoreDBClient,
    options: EsdbEventStoreOptions = {},
  ) {
    this.ownsClient = options.ownsClient ?? false;
    this.pageSize = options.readAllPageSize ?? 1000;
  }

  /** Connects with an `esdb://` connection string, e.g. `esdb://127.0.0.1:2113?tls=false`. */
  static connect(connectionString: string, options: Omit<EsdbEventStoreOptions, 'ownsClient'> = {}): EsdbEventStore {
    return new EsdbEventStore(EventStoreDBClient.connectionString(connectionString), { ...options, ownsClient: true });
  }

  async append(stream: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    validateAppend(stream, events, expectedRevision);
    const data: EventData[] = events.map((e) => ({
      id: e.id,
      type: e.type,
      contentType: 'application/octet-stream',
      data: new Uint8Array(Buffer.from(e.data, 'utf8')),
      metadata: e.metadata === undefined ? undefined : new Uint8Array(Buffer.from(JSON.stringify(e.metadata), 'utf8')),
    }));
    try {
      const result = await this.client.appendToStream(stream, data, {
        expectedRevision: expectedRevision === NO_STREAM ? 'no_stream' : BigInt(expectedRevision),
      });
      return { stream, nextExpectedRevision: Number(result.nextExpectedRevision) };
    } catch (e) {
      if (e instanceof WrongExpectedVersionError) {
        const actual = e.actualVersion;
        throw new WrongExpectedRevisionError(stream, expectedRevision, typeof actual === 'bigint' ? Number(actual) : NO_STREAM);
      }
      throw mapError(e);
    }
  }

  async read(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    const maxCount = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    if (maxCount === 0) return [];
    return this.collect(
      this.client.readStream(stream, { fromRevision: options.fromRevision ? BigInt(options.fromRevision) : START, direction: FORWARDS, maxCount }),
    );
  }

  async readLast(stream: string): Promise<StoredEvent | undefined> {
    const [last] = await this.collect(this.client.readStream(stream, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }));
    return last;
  }

  private async collect(read: AsyncIterable<ResolvedEvent>): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    try {
      for await (const resolved of read) {
        if (resolved.event) out.push(toStoredEvent(resolved.event));
      }
    } catch (e) {
      if (e instanceof StreamNotFoundError) return [];
      throw mapError(e);
    }
    return out;
  }

  /**
   * Scans `$all` page by page from `fromPosition` (inclusive), keeping non-system events that pass the filter
   * (`readAll` has no server-side filter in this client), until `maxCount` are found or the log ends.
   */
  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const want = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    const out: StoredEvent[] = [];
    if (want === 0) return out;
    let from = options.fromPosition;
    let exclusive = false;
    try {
      for (;;) {
        let seen = 0;
        const page = this.client.readAll({ fromPosition: from ?? START, direction: FORWARDS, maxCount: this.pageSize });
        for await (const resolved of page) {
          seen++;
          const recorded = resolved.event;
          if (!recorded?.position) continue;
          const p = recorded.position;
          if (exclusive && seen === 1 && from && p.commit === from.commit && p.prepare === from.prepare) continue;
          from = p;
          if (out.length >= want) continue; // drain the page: an abandoned gRPC read would never finish
          if (isSystem(recorded.streamId, recorded.type) || !matchesFilter(recorded.streamId, recorded.type, options.filter)) continue;
          out.push(toStoredEvent(recorded));
        }
        if (out.length >= want || seen < this.pageSize) return out;
        exclusive = true;
      }
    } catch (e) {
      throw mapError(e);
    }
  }

  /** The last event of `$all`, read backwards (system events count: their positions are log positions too). */
  async headPosition(): Promise<GlobalPosition | undefined> {
    let head: GlobalPosition | undefined;
    try {
      // Iterated to its end rather than left at the first event: an abandoned gRPC read would never finish.
      for await (const resolved of this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 })) {
        const p = resolved.event?.position;
        if (p) head = { commit: p.commit, prepare: p.prepare };
      }
    } catch (e) {
      throw mapError(e);
    }
    return head;
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    const sub = new EsdbAllSubscription(this.client, options, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (this.ownsClient) await this.client.dispose();
  }
}

function isSystem(stream: string, type: string): boolean {
  return stream.startsWith('$') || type.startsWith('$');
}

function toStoredEvent(recorded: RecordedEvent): StoredEvent {
  if (!recorded.position) {
    throw new EventStoreUnavailableError('the server returned an event without its $all position (EventStoreDB 22.6 or later is required)');
  }
  const data = recorded.data;
  const text = data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8') : JSON.stringify(data);
  return {
    stream: recorded.streamId,
    revision: Number(recorded.revision),
    position: { commit: recorded.position.commit, prepare: recorded.position.prepare },
    id: recorded.id.toLowerCase(),
    type: recorded.type,
    data: text,
    metadata: decodeMetadata(recorded.metadata),
    recordedAt: recorded.created,
  };
}

function decodeMetadata(metadata: unknown): EventMetadata | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (metadata instanceof Uint8Array) {
    const text = Buffer.from(metadata).toString('utf8');
    return text.length === 0 ? undefined : (JSON.parse(text) as EventMetadata);
  }
  return metadata as EventMetadata;
}

/** gRPC status codes the client may surface raw (e.g. while it negotiates server features). */
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;

/** Connection-level failures become `EventStoreUnavailableError`; anything else is passed on unchanged. */
function mapError(e: unknown): unknown {
  const type = (e as { type?: unknown } | null)?.type;
  const code = (e as { code?: unknown } | null)?.code;
  if (
    type === undefined &&
    (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED)
  ) {
    return new EventStoreUnavailableError(`EventStoreDB: ${(e as Error).message}`, { cause: e });
  }
  if (
    type === ErrorType.UNAVAILABLE ||
    type === ErrorType.DEADLINE_EXCEEDED ||
    type === ErrorType.TIMEOUT ||
    type === ErrorType.NOT_LEADER ||
    type === ErrorType.CANCELLED
  ) {
    return new EventStoreUnavailableError(`EventStoreDB: ${(e as Error).message}`, { cause: e });
  }
  return e;
}

function toServerFilter(filter: AllFilter | undefined) {
  if (!filter) return excludeSystemEvents();
  const prefixes = [...filter.prefixes];
  return filter.on === 'stream' ? streamNameFilter({ prefixes }) : eventTypeFilter({ prefixes });
}

const HIGH_WATER = 256;

/**
 * `$all` catch-up subscription; a server-side filter narrows it, system events are never delivered.
 * Events are taken from the client's stream with a listener (paused above a high-water mark) rather than by
 * iterating it: after `stop()` the stream must be drained to its end, otherwise the cancelled gRPC call never
 * finishes and `client.dispose()` waits for it forever.
 */
class EsdbAllSubscription implements AllSubscription {
  private readonly latch = new Latch();
  private readonly subscription;
  private readonly buffer: StoredEvent[] = [];
  private stopped = false;
  private ended = false;
  private failure: unknown;
  private iterating = false;
  private wake: (() => void) | undefined;

  constructor(
    client: EventStoreDBClient,
    private readonly options: SubscribeToAllOptions,
    private readonly onStop: () => void,
  ) {
    this.subscription = client.subscribeToAll({
      fromPosition: options.after ? { commit: options.after.commit, prepare: options.after.prepare } : START,
      filter: toServerFilter(options.filter),
    });
    this.subscription.on('caughtUp', () => this.latch.open());
    this.subscription.on('data', (resolved: AllStreamResolvedEvent) => {
      if (this.stopped) return;
      const recorded = resolved.event;
      if (!recorded || isSystem(recorded.streamId, recorded.type)) return;
      if (!matchesFilter(recorded.streamId, recorded.type, this.options.filter)) return;
      try {
        this.buffer.push(toStoredEvent(recorded));
      } catch (e) {
        this.failure ??= e;
      }
      if (this.buffer.length >= HIGH_WATER) this.subscription.pause();
      this.notify();
    });
    this.subscription.on('error', (e: unknown) => {
      if (!this.stopped) this.failure ??= mapError(e);
      this.notify();
    });
    this.subscription.on('end', () => {
      this.ended = true;
      this.notify();
    });
    this.subscription.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  get caughtUp(): Promise<void> {
    return this.latch.promise;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.buffer.length = 0;
    this.onStop();
    this.subscription.resume();
    this.notify();
    await this.subscription.unsubscribe();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.iterating) throw new Error('a subscription can be iterated only once');
    this.iterating = true;
    try {
      for (;;) {
        if (this.stopped) return;
        const next = this.buffer.shift();
        if (next) {
          if (this.buffer.length < HIGH_WATER / 2 && this.subscription.isPaused()) this.subscription.resume();
          yield next;
          continue;
        }
        if (this.failure !== undefined) throw this.failure;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      await this.stop();
    }
  }
}
