/**
 * The event-store port: what every adapter (embedded SQLite, EventStoreDB, any future one) offers and what
 * the shared contract suite proves. Adapters store opaque events; the receipt-chain writer builds on it.
 */

/** Injection token for the event store (NestJS `@Inject(EVENT_STORE)`), kept framework-free here. */
export const EVENT_STORE: unique symbol = Symbol.for('corridor-ledger.EventStore');

/** Revision of an event inside its stream: 0 for the first event, gapless. */
export type StreamRevision = number;

/** The expected state of a stream for an append: exactly "does not exist yet", or exactly this last revision. */
export const NO_STREAM = 'no_stream' as const;
export type ExpectedRevision = typeof NO_STREAM | StreamRevision;

/**
 * A position in the global commit order. On SQLite both parts are the same gapless counter; on EventStoreDB
 * they are the transaction-file commit and prepare positions of `$all`.
 */
export interface GlobalPosition {
  readonly commit: bigint;
  readonly prepare: bigint;
}

/** Plain JSON (numbers are IEEE doubles): what event metadata may hold. */
export type PlainJson = null | boolean | number | string | PlainJson[] | { [key: string]: PlainJson };
export type EventMetadata = { [key: string]: PlainJson };

/** An event to append. `data` is kept byte for byte (receipts are stored as canonical JSON text). */
export interface EventToAppend {
  /** A UUID; derive it from the content (see `eventIdFromDigest`) so that a retried append is recognised. */
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata?: EventMetadata;
}

export interface StoredEvent {
  readonly stream: string;
  readonly revision: StreamRevision;
  readonly position: GlobalPosition;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: EventMetadata | undefined;
  readonly recordedAt: Date;
}

export interface AppendResult {
  readonly stream: string;
  /** Revision of the last event of this append: pass it as `expectedRevision` for the next one. */
  readonly nextExpectedRevision: StreamRevision;
}

export interface ReadStreamOptions {
  /** First revision to return (inclusive); default 0. */
  readonly fromRevision?: StreamRevision;
  readonly maxCount?: number;
}

/** A server-side filter on the global log: by stream-name prefix or by event-type prefix. */
export type AllFilter =
  | { readonly on: 'stream'; readonly prefixes: readonly string[] }
  | { readonly on: 'event-type'; readonly prefixes: readonly string[] };

export interface ReadAllOptions {
  /** First position to return (inclusive); default: the start of the log. */
  readonly fromPosition?: GlobalPosition;
  readonly maxCount?: number;
  readonly filter?: AllFilter;
}

export interface SubscribeToAllOptions {
  /** Resume strictly after this position (a stored checkpoint); default: from the start of the log. */
  readonly after?: GlobalPosition;
  readonly filter?: AllFilter;
}

/**
 * A catch-up subscription over the global log: first the history after `after`, then live events, in global
 * commit order, one at a time (the next event is handed over only after the consumer has finished the previous
 * one). `caughtUp` resolves the first time the subscription has delivered everything that existed.
 */
export interface AllSubscription extends AsyncIterable<StoredEvent> {
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

export interface EventStore {
  /**
   * True when appends take effect in the order they were called (one connection, one queue), so a writer may
   * issue the next append to a stream before the previous one is acknowledged — if the previous one fails, the
   * next fails its expected-revision check. Stores that may reorder concurrent requests leave it unset.
   */
  readonly appendsInOrder?: boolean;
  /**
   * Appends `events` atomically at the end of `stream` if its last revision is exactly `expectedRevision`.
   * A conflict throws `WrongExpectedRevisionError`. Re-sending an append that already succeeded (same event
   * ids at the same revisions) is a no-op that returns the original result.
   */
  append(stream: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** Events of one stream in revision order; an unknown stream reads as empty. */
  read(stream: string, options?: ReadStreamOptions): Promise<StoredEvent[]>;
  /** The last event of a stream, or undefined for an unknown stream. */
  readLast(stream: string): Promise<StoredEvent | undefined>;
  /** Events of all streams in global commit order (system streams of a server excluded). */
  readAll(options?: ReadAllOptions): Promise<StoredEvent[]>;
  /**
   * The position of the last event of the global log (a server's system events included), or undefined while the
   * log is empty. Every event at or before it is committed, so a `readAll` begun after this call returns all of
   * those it keeps: a reader that took the head first may, once that read reaches the end of the log, resume from
   * the head instead of from the last event its filter kept. Optional so that test doubles and wrappers need not
   * offer it; such a reader then simply cannot skip what its filter left out.
   */
  headPosition?(): Promise<GlobalPosition | undefined>;
  subscribeToAll(options?: SubscribeToAllOptions): AllSubscription;
  close(): Promise<void>;
}

export function comparePositions(a: GlobalPosition, b: GlobalPosition): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

/** `commit/prepare` in decimal: how checkpoints store a position. */
export function formatPosition(p: GlobalPosition): string {
  return `${p.commit}/${p.prepare}`;
}

export function parsePosition(text: string): GlobalPosition {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (!m) throw new TypeError(`not a global position: ${JSON.stringify(text)}`);
  return { commit: BigInt(m[1]!), prepare: BigInt(m[2]!) };
}

export function describeExpected(expected: ExpectedRevision): string {
  return expected === NO_STREAM ? 'no stream' : `revision ${expected}`;
}
