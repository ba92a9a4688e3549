import type Database from 'better-sqlite3';
import type { Worker } from 'node:worker_threads';
import { EventStoreUnavailableError, LedgerError, WrongExpectedRevisionError } from '../port/errors';
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
import { validateAppend } from '../port/validation';
import { startLedgerWorker } from '../util/ledger-worker';
import { Latch, Wakeup } from '../util/wakeup';
import { openLedgerDatabase, SqliteWriter, type OpenOptions, type SqliteDurability, type WireAppend, type WireOutcome } from './sqlite-writer';

export type { SqliteDurability } from './sqlite-writer';

export interface SqliteEventStoreConfig {
  /** Database file. `:memory:` is for tests only (nothing survives the process; no writer thread). */
  readonly path: string;
  /**
   * How far an acknowledged append is guaranteed to survive:
   * - `full` (default): the WAL is fsynced before the append is acknowledged — survives kill -9, an OS crash and
   *   power loss;
   * - `normal`: the WAL is written (to the OS) before acknowledging and fsynced at checkpoints — survives kill -9 of
   *   the process, not an OS crash or power loss.
   */
  readonly durability?: SqliteDurability;
  /** How long a write waits for another process holding the write lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Subscriptions look for events committed by other processes this often. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** Upper bound of events in one group commit. Default 4096. */
  readonly maxEventsPerCommit?: number;
  /**
   * Commit in a dedicated writer thread (default for files), so that a commit's fsync never blocks the event loop;
   * `false` commits on the event loop. Reads always run on the event loop, on their own connection.
   */
  readonly writerThread?: boolean;
}

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
  expected: ExpectedRevision;
  wire: WireAppend;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/**
 * The embedded event store: one SQLite file in WAL mode. Appends queued while a commit runs are group-committed
 * next — one transaction and one fsync for all of them — while each append keeps its own atomicity and its own
 * optimistic-concurrency check (a savepoint per append inside the transaction). Appends take effect in the order
 * they were called.
 */
export class SqliteEventStore implements EventStore {
  readonly appendsInOrder = true;
  /** The read connection (also the write connection without a writer thread). */
  readonly db: Database.Database;
  private readonly pollIntervalMs: number;
  private readonly maxEventsPerCommit: number;
  private readonly inlineWriter: SqliteWriter | undefined;
  private readonly thread: WriterThread | undefined;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private committing = false;
  private closed = false;
  private failure: Error | undefined;
  private drained: (() => void)[] = [];
  private readonly subscriptions = new Set<SqliteAllSubscription>();
  private readonly stmt: ReturnType<SqliteEventStore['prepare']>;
  private readonly filteredReads = new Map<string, Database.Statement>();

  private constructor(config: SqliteEventStoreConfig) {
    this.pollIntervalMs = config.pollIntervalMs ?? 200;
    this.maxEventsPerCommit = config.maxEventsPerCommit ?? 4096;
    const options = { durability: config.durability ?? 'full', busyTimeoutMs: config.busyTimeoutMs ?? 5000 } as const;
    this.db = openLedgerDatabase(config.path, options);
    this.stmt = this.prepare();
    if (config.writerThread ?? config.path !== ':memory:') {
      if (config.path === ':memory:') throw new Error('an in-memory database cannot be shared with a writer thread');
      this.thread = new WriterThread(config.path, options, (e) => this.fail(e));
    } else {
      this.inlineWriter = new SqliteWriter(this.db);
    }
  }

  static open(config: SqliteEventStoreConfig): SqliteEventStore {
    return new SqliteEventStore(config);
  }

  private prepare() {
    const db = this.db;
    return {
      lastPosition: db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck(),
      readStream: db.prepare('SELECT * FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?'),
      readLast: db.prepare('SELECT e.* FROM streams s JOIN events e ON e.position = s.position WHERE s.stream = ?'),
      readAll: db.prepare('SELECT * FROM events WHERE position >= ? ORDER BY position LIMIT ?'),
    };
  }

  append(stream: string, events: readonly EventToAppend[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    try {
      if (this.closed) throw new EventStoreUnavailableError('the event store is closed');
      if (this.failure) throw new EventStoreUnavailableError(`the event store failed: ${this.failure.message}`, { cause: this.failure });
      validateAppend(stream, events, expectedRevision);
    } catch (e) {
      return Promise.reject(e);
    }
    const wire: WireAppend = {
      stream,
      expectedLast: expectedRevision === NO_STREAM ? -1 : expectedRevision,
      events: events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata === undefined ? null : JSON.stringify(e.metadata) })),
    };
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, expected: expectedRevision, wire, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.committing) return;
    this.flushScheduled = true;
    setImmediate(() => void this.flush());
  }

  /** One group commit: the queued appends that fit in `maxEventsPerCommit` (at least one). */
  private async flush(): Promise<void> {
    this.flushScheduled = false;
    if (this.queue.length === 0 || this.committing) return this.notifyDrained();
    let count = 0;
    let take = 0;
    while (take < this.queue.length && (take === 0 || count + this.queue[take]!.wire.events.length <= this.maxEventsPerCommit)) {
      count += this.queue[take]!.wire.events.length;
      take++;
    }
    const batch = this.queue.splice(0, take);
    this.committing = true;
    let outcomes: WireOutcome[] | undefined;
    let error: unknown;
    try {
      outcomes = this.thread ? await this.thread.commit(batch.map((p) => p.wire)) : this.inlineWriter!.commit(batch.map((p) => p.wire));
    } catch (e) {
      error = e;
    }
    this.committing = false;
    if (outcomes) {
      batch.forEach((p, i) => {
        const o = outcomes![i]!;
        if ('ok' in o) p.resolve({ stream: p.stream, nextExpectedRevision: o.ok });
        else p.reject(new WrongExpectedRevisionError(p.stream, p.expected, o.conflict === -1 ? NO_STREAM : o.conflict));
      });
      for (const s of this.subscriptions) s.wake();
    } else {
      const e = error instanceof LedgerError ? error : new EventStoreUnavailableError(`SQLite commit failed: ${(error as Error).message}`, { cause: error });
      for (const p of batch) p.reject(e);
    }
    if (this.queue.length > 0) this.scheduleFlush();
    else this.notifyDrained();
  }

  private notifyDrained(): void {
    if (this.queue.length > 0 || this.committing) return;
    const waiters = this.drained;
    this.drained = [];
    for (const w of waiters) w();
  }

  /** The writer thread died: nothing more can be committed. */
  private fail(e: Error): void {
    this.failure ??= e;
    const error = new EventStoreUnavailableError(`the SQLite writer thread failed: ${e.message}`, { cause: e });
    for (const p of this.queue.splice(0)) p.reject(error);
    this.notifyDrained();
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

  async headPosition(): Promise<GlobalPosition | undefined> {
    this.assertOpen();
    // MAX over the INTEGER PRIMARY KEY: one b-tree descent. Positions start at 1, so 0 is the empty log.
    const last = this.stmt.lastPosition.get() as number;
    return last === 0 ? undefined : { commit: BigInt(last), prepare: BigInt(last) };
  }

  /**
   * Global log from `from` (inclusive), optionally filtered; synchronous. The filtered read walks the primary key
   * from `from` and tests the prefix on each row it passes: its cost is the rows from `from` on up to the page's
   * last match (all of them when few match), not the size of the log — readers keep `from` near the head.
   */
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

  /** Waits for queued appends, stops subscriptions and closes the file (and the writer thread). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.queue.length > 0 || this.committing) await new Promise<void>((resolve) => this.drained.push(resolve));
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.thread?.close();
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

  /** Everything committed so far is delivered: wait for the next commit (or a poll, for other processes' commits). */
  private idle(): Promise<void> {
    this.caughtUpLatch.open();
    return this.wakeup.wait(this.pollIntervalMs);
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
        for (const e of events) {
          if (this.stopped) return;
          yield e;
        }
        // A short page ends at the end of the log as of its snapshot: wait for the next commit rather than scan an
        // empty page first (one more read transaction per commit). A commit made meanwhile has already set the
        // wake-up, which is level-triggered.
        if (events.length < PAGE) await this.idle();
      }
    } finally {
      this.stopped = true;
      this.onStop();
    }
  }
}

/** The writer thread: one commit at a time, outcomes back in order. */
class WriterThread {
  private readonly worker: Worker;
  private pending: { resolve: (o: WireOutcome[]) => void; reject: (e: Error) => void } | undefined;
  private closing: (() => void) | undefined;
  private nextId = 1;
  private exited = false;

  constructor(path: string, options: OpenOptions, onFailure: (e: Error) => void) {
    const modulePath = require.resolve('./sqlite-writer');
    this.worker = startLedgerWorker('sqlite-writer.worker.js', { modulePath, path, options }, [modulePath]);
    this.worker.unref();
    this.worker.on('message', (msg: { id?: number; outcomes?: WireOutcome[]; error?: string; closed?: boolean; ready?: boolean }) => {
      if (msg.closed) return this.closing?.();
      if (msg.id === undefined) return;
      const p = this.pending;
      this.pending = undefined;
      this.worker.unref();
      if (!p) return;
      if (msg.outcomes) p.resolve(msg.outcomes);
      else p.reject(new Error(msg.error ?? 'no outcome'));
    });
    const die = (e: Error) => {
      if (this.exited) return;
      this.exited = true;
      this.pending?.reject(e);
      this.pending = undefined;
      this.closing?.();
      onFailure(e);
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`writer thread exited with code ${code}`)));
  }

  commit(batch: readonly WireAppend[]): Promise<WireOutcome[]> {
    if (this.exited) return Promise.reject(new Error('the writer thread is gone'));
    return new Promise<WireOutcome[]>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.ref();
      this.worker.postMessage({ id: this.nextId++, batch });
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    this.worker.ref();
    await new Promise<void>((resolve) => {
      this.closing = resolve;
      this.worker.postMessage({ close: true });
    });
    this.exited = true;
    await this.worker.terminate();
  }
}
