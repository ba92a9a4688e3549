import Database from 'better-sqlite3';
import { DuplicateEventIdError, EventStoreUnavailableError, LedgerError, WrongExpectedRevisionError } from '../port/errors';
import {
  NO_STREAM,
  type AllFilter,
  type AllSubscription,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
  type StreamRevision,
  type SubscribeToAllOptions,
} from '../port/event-store.port';
import { validateAppend } from '../port/validation';
import { Latch, Wakeup } from '../util/wakeup';

/**
 * How far an acknowledged append is guaranteed to survive:
 * - `full` (default): the WAL is fsynced before the append is acknowledged — survives kill -9, an OS crash
 *   and power loss;
 * - `normal`: the WAL is written (to the OS) before acknowledging and fsynced at checkpoints — survives
 *   kill -9 of the process, not an OS crash or power loss.
 */
export type SqliteDurability = 'full' | 'normal';

export interface SqliteEventStoreConfig {
  /** Database file. `:memory:` is for tests only (nothing survives the process). */
  readonly path: string;
  readonly durability?: SqliteDurability;
  /** How long a write waits for another process holding the write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Subscriptions look for events committed by other processes this often. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** Upper bound of events in one group commit. Default 2000. */
  readonly maxEventsPerCommit?: number;
}

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ledger_schema (
  version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS streams (
  stream   TEXT PRIMARY KEY,
  revision INTEGER NOT NULL,
  position INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  position    INTEGER PRIMARY KEY,
  stream      TEXT    NOT NULL,
  revision    INTEGER NOT NULL,
  event_id    TEXT    NOT NULL,
  type        TEXT    NOT NULL,
  data        TEXT    NOT NULL,
  metadata    TEXT,
  recorded_at INTEGER NOT NULL,
  UNIQUE (stream, revision)
);
CREATE UNIQUE INDEX IF NOT EXISTS events_by_event_id ON events (event_id);
`;

interface EventRow {
  position: number;
  stream: string;
  revision: number;
  event_id: string;
  type: string;
  data: string;
  metadata: string | null;
  recorded_at: number;
}

interface PendingAppend {
  stream: string;
  events: readonly EventToAppend[];
  expected: ExpectedRevision;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

type Outcome = { ok: AppendResult } | { error: unknown };

/**
 * The embedded event store: one SQLite file in WAL mode. Appends issued in the same turn of the event loop
 * are group-committed — one transaction and one fsync for all of them — while each append keeps its own
 * atomicity and its own optimistic-concurrency check (a savepoint per append inside the transaction).
 */
export class SqliteEventStore implements EventStore {
  readonly db: Database.Database;
  private readonly pollIntervalMs: number;
  private readonly maxEventsPerCommit: number;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly subscriptions = new Set<SqliteAllSubscription>();
  private readonly stmt: ReturnType<SqliteEventStore['prepare']>;
  private readonly filteredReads = new Map<string, Database.Statement>();

  private constructor(config: SqliteEventStoreConfig) {
    this.pollIntervalMs = config.pollIntervalMs ?? 200;
    this.maxEventsPerCommit = config.maxEventsPerCommit ?? 2000;
    this.db = new Database(config.path, { timeout: config.busyTimeoutMs ?? 5000 });
    if (config.path !== ':memory:') {
      const mode = this.db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`could not switch ${config.path} to WAL (journal_mode is ${String(mode)})`);
    }
    this.db.pragma(`synchronous = ${(config.durability ?? 'full') === 'full' ? 'FULL' : 'NORMAL'}`);
    this.db.exec(SCHEMA);
    const version = this.db.prepare('SELECT version FROM ledger_schema').pluck().get() as number | undefined;
    if (version === undefined) this.db.prepare('INSERT INTO ledger_schema (version) VALUES (?)').run(SCHEMA_VERSION);
    else if (version !== SCHEMA_VERSION) throw new Error(`unsupported ledger schema version ${version} (this build reads ${SCHEMA_VERSION})`);
    this.stmt = this.prepare();
  }

  static open(config: SqliteEventStoreConfig): SqliteEventStore {
    return new SqliteEventStore(config);
  }

  private prepare() {
    const db = this.db;
    return {
      head: db.prepare('SELECT revision, position FROM streams WHERE stream = ?'),
      lastPosition: db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck(),
      insert: db.prepare(
        'INSERT INTO events (position, stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      upsertHead: db.prepare(
        'INSERT INTO streams (stream, revision, position) VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, position = excluded.position',
      ),
      idsFrom: db.prepare('SELECT event_id FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?').pluck(),
      readStream: db.prepare('SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?'),
      readLast: db.prepare('SELECT e.* FROM streams s JOIN events e ON e.position = s.position WHERE s.stream = ?'),
      readAll: db.prepare('SELECT * FROM events WHERE position >= ? ORDER BY position LIMIT ?'),
      eventById: db.prepare('SELECT stream, revision FROM events WHERE event_id = ?'),
    };
  }

  append(stream: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    try {
      if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
      validateAppend(stream, events, expectedRevision);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, events, expected: expectedRevision, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** One group commit: as many queued appends as fit in `maxEventsPerCommit` (at least one). */
  private flush(): void {
    this.flushScheduled = false;
    if (this.queue.length === 0) return;
    let count = 0;
    let take = 0;
    while (take < this.queue.length && (take === 0 || count + this.queue[take]!.events.length <= this.maxEventsPerCommit)) {
      count += this.queue[take]!.events.length;
      take++;
    }
    const batch = this.queue.splice(0, take);
    if (this.queue.length > 0) this.scheduleFlush();
    let outcomes: Outcome[];
    try {
      outcomes = this.commit(batch);
    } catch (e) {
      const error = e instanceof LedgerError ? e : new EventStoreUnavailableError(`SQLite commit failed: ${(e as Error).message}`, { cause: e });
      for (const p of batch) p.reject(error);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if ('ok' in o) p.resolve(o.ok);
      else p.reject(o.error);
    });
    for (const s of this.subscriptions) s.wake();
  }

  private commit(batch: PendingAppend[]): Outcome[] {
    const outcomes: Outcome[] = [];
    const now = Date.now();
    const run = this.db.transaction(() => {
      let position = this.stmt.lastPosition.get() as number;
      for (const p of batch) {
        try {
          const result = this.db.transaction(() => {
            const r = this.appendOne(p, position, now);
            position = r.position;
            return r.result;
          })();
          outcomes.push({ ok: result });
        } catch (e) {
          if (e instanceof LedgerError) outcomes.push({ error: e });
          else throw e;
        }
      }
    });
    run.immediate();
    return outcomes;
  }

  /** Runs inside a savepoint: a thrown LedgerError rolls back only this append. */
  private appendOne(p: PendingAppend, lastPosition: number, now: number): { result: AppendResult; position: number } {
    const head = this.stmt.head.get(p.stream) as { revision: number; position: number } | undefined;
    const actual: StreamRevision | typeof NO_STREAM = head ? head.revision : NO_STREAM;
    const expectedLast = p.expected === NO_STREAM ? -1 : p.expected;
    const actualLast = head ? head.revision : -1;
    if (expectedLast !== actualLast) {
      if (expectedLast < actualLast && this.isRetry(p, expectedLast)) {
        return { result: { stream: p.stream, nextExpectedRevision: expectedLast + p.events.length }, position: lastPosition };
      }
      throw new WrongExpectedRevisionError(p.stream, p.expected, actual);
    }
    let position = lastPosition;
    let revision = actualLast;
    for (const e of p.events) {
      position++;
      revision++;
      try {
        this.stmt.insert.run(position, p.stream, revision, e.id, e.type, e.data, e.metadata === undefined ? null : JSON.stringify(e.metadata), now);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && this.stmt.eventById.get(e.id)) {
          throw new DuplicateEventIdError(e.id, p.stream);
        }
        throw err;
      }
    }
    this.stmt.upsertHead.run(p.stream, revision, position);
    return { result: { stream: p.stream, nextExpectedRevision: revision }, position };
  }

  /** The same event ids are already stored right after `expectedLast`: the append happened before. */
  private isRetry(p: PendingAppend, expectedLast: number): boolean {
    const ids = this.stmt.idsFrom.all(p.stream, expectedLast + 1, p.events.length) as string[];
    return ids.length === p.events.length && ids.every((id, i) => id === p.events[i]!.id);
  }

  async read(stream: string, options: ReadStreamOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    const rows = this.stmt.readStream.all(stream, options.fromRevision ?? 0, limit(options.maxCount)) as EventRow[];
    return rows.map(toStoredEvent);
  }

  async readLast(stream: string): Promise<StoredEvent | undefined> {
    this.assertOpen();
    const row = this.stmt.readLast.get(stream) as EventRow | undefined;
    return row ? toStoredEvent(row) : undefined;
  }

  async readAll(options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    this.assertOpen();
    return this.readAllSync(options.fromPosition ? Number(options.fromPosition.commit) : 0, limit(options.maxCount), options.filter);
  }

  /** Global log from `from` (inclusive), optionally filtered; synchronous. */
  readAllSync(from: number, maxCount: number, filter?: AllFilter): StoredEvent[] {
    if (!filter) return (this.stmt.readAll.all(from, maxCount) as EventRow[]).map(toStoredEvent);
    const column = filter.on === 'stream' ? 'stream' : 'type';
    const key = `${column}:${filter.prefixes.length}`;
    let stmt = this.filteredReads.get(key);
    if (!stmt) {
      const cond = filter.prefixes.map(() => `substr(${column}, 1, length(?)) = ?`).join(' OR ') || '0';
      stmt = this.db.prepare(`SELECT * FROM events WHERE position >= ? AND (${cond}) ORDER BY position LIMIT ?`);
      this.filteredReads.set(key, stmt);
    }
    const params = filter.prefixes.flatMap((p) => [p, p]);
    return (stmt.all(from, ...params, maxCount) as EventRow[]).map(toStoredEvent);
  }

  /**
   * One page for a subscription, read in one snapshot: the matching events from `from` on, and how far the
   * log was scanned, so a filter that matches nothing does not make the next page rescan the same rows.
   */
  scanAll(from: number, maxCount: number, filter?: AllFilter): { events: StoredEvent[]; scannedTo: number } {
    return this.db.transaction(() => {
      const events = this.readAllSync(from, maxCount, filter);
      const scannedTo = events.length === maxCount ? Number(events[events.length - 1]!.position.commit) : (this.stmt.lastPosition.get() as number);
      return { events, scannedTo };
    }).deferred();
  }

  subscribeToAll(options: SubscribeToAllOptions = {}): AllSubscription {
    this.assertOpen();
    const sub = new SqliteAllSubscription(this, options, this.pollIntervalMs, () => this.subscriptions.delete(sub));
    this.subscriptions.add(sub);
    return sub;
  }

  /** Waits for queued appends, stops subscriptions, checkpoints the WAL and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.queue.length > 0) this.flush();
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.db.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
  }
}

function limit(maxCount: number | undefined): number {
  if (maxCount === undefined) return -1;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) throw new RangeError(`maxCount must be a non-negative integer, got ${maxCount}`);
  return maxCount;
}

function toStoredEvent(row: EventRow): StoredEvent {
  const p = BigInt(row.position);
  return {
    stream: row.stream,
    revision: row.revision,
    position: { commit: p, prepare: p },
    id: row.event_id,
    type: row.type,
    data: row.data,
    metadata: row.metadata === null ? undefined : (JSON.parse(row.metadata) as EventMetadata),
    recordedAt: new Date(row.recorded_at),
  };
}

const PAGE = 512;

/** Catch-up over the `events` table: pages of history, then a wait for the next commit (or a poll). */
class SqliteAllSubscription implements AllSubscription {
  private readonly wakeup = new Wakeup();
  private readonly caughtUpLatch = new Latch();
  private stopped = false;
  private iterating = false;

  constructor(
    private readonly store: SqliteEventStore,
    private readonly options: SubscribeToAllOptions,
    private readonly pollIntervalMs: number,
    private readonly onStop: () => void,
  ) {}

  get caughtUp(): Promise<void> {
    return this.caughtUpLatch.promise;
  }

  wake(): void {
    this.wakeup.notify();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeup.notify();
    this.onStop();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StoredEvent> {
    if (this.iterating) throw new Error('a subscription can be iterated only once');
    this.iterating = true;
    let scanned = this.options.after ? Number(this.options.after.commit) : 0;
    try {
      while (!this.stopped) {
        if (!this.store.isOpen) return;
        const { events, scannedTo } = this.store.scanAll(scanned + 1, PAGE, this.options.filter);
        scanned = Math.max(scanned, scannedTo);
        if (events.length === 0) {
          this.caughtUpLatch.open();
          await this.wakeup.wait(this.pollIntervalMs);
          continue;
        }
        for (const e of events) {
          if (this.stopped) return;
          yield e;
        }
      }
    } finally {
      this.stopped = true;
      this.onStop();
    }
  }
}
