import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** What the node answered the first time a key was used. */
export interface StoredAnswer {
  status: number;
  body: string;
}

export type IdempotencyRecord =
  | { state: 'done'; fingerprint: string; answer: StoredAnswer }
  /** Accepted but not answered: the node stopped mid-command. The stream tells whether it took effect. */
  | { state: 'in-doubt'; fingerprint: string; stream: string | null };

/** The writes, as data (they cross to the writer thread): statement name and its parameters. */
type Write = readonly ['begin', string, string, number] | readonly ['stream', string, string] | readonly ['finish', number, string, string] | readonly ['forget', string];

const WRITES = {
  begin: 'INSERT INTO idempotency (key, fingerprint, created_at) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING',
  stream: 'UPDATE idempotency SET stream = ? WHERE key = ? AND status IS NULL',
  finish: 'UPDATE idempotency SET status = ?, body = ? WHERE key = ?',
  forget: 'DELETE FROM idempotency WHERE key = ? AND status IS NULL',
} as const;

interface Queued {
  readonly write: Write;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Slots of the array the writer thread reports through: the last batch it finished, whether that one failed, closed. */
const DONE = 0;
const FAILED = 1;
const CLOSED = 2;
/** How long close() waits for the batch the writer thread is committing. */
const CLOSE_WAIT_MS = 10_000;

/**
 * The writer thread: commits each batch it is sent in one transaction (synchronous = FULL: fsynced), then says so —
 * through the shared array first (close() may be waiting on it), then as a message.
 */
const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { timeout: 5000 });
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
const statements = {};
for (const [name, sql] of Object.entries(workerData.writes)) statements[name] = db.prepare(sql);
const report = new Int32Array(workerData.report);
const commit = db.transaction((writes) => {
  for (const [name, ...args] of writes) statements[name].run(...args);
});
parentPort.on('message', (msg) => {
  if (msg.close) {
    db.close();
    Atomics.store(report, ${CLOSED}, 1);
    Atomics.notify(report, ${CLOSED});
    parentPort.close();
    return;
  }
  let error;
  try {
    commit.immediate(msg.writes);
  } catch (e) {
    error = e instanceof Error ? (e.code ? e.code + ': ' : '') + e.message : String(e);
  }
  Atomics.store(report, ${FAILED}, error === undefined ? 0 : 1);
  Atomics.store(report, ${DONE}, msg.seq);
  Atomics.notify(report, ${DONE});
  parentPort.postMessage({ seq: msg.seq, error });
});
`;

/**
 * Durable `Idempotency-Key` records in the node's own SQLite file. A key is recorded before its command runs
 * (with the stream it targets once known) and its answer after, so a retry after a crash can look in that
 * stream for the event carrying the key instead of applying the command twice.
 *
 * Writes are group-committed: each resolves once it is durable, and the writes made while the previous commit runs
 * (at least those of one turn of the event loop) share one transaction — one fsync for all of them. The commits run
 * on a writer thread with its own connection, so the fsync never blocks the event loop (it did, once per batch: a
 * third of the loop's time under keyed load); reads run here. If the thread cannot be started or fails, the commits
 * run on this connection instead, as before. close() is synchronous: it waits for the batch the thread is
 * committing and for the thread's connection to close (each bounded), commits what is still queued on this
 * connection, then closes it.
 */
export class IdempotencyStore {
  private readonly db: Database.Database;
  private readonly get_: Database.Statement;
  private readonly local: { readonly [K in keyof typeof WRITES]: Database.Statement };
  private readonly commitLocally: (writes: readonly Write[]) => void;
  private queued: Queued[] = [];
  private flushScheduled = false;
  private writer: Worker | undefined;
  private report: Int32Array | undefined;
  private seq = 0;
  private inFlight: { seq: number; batch: Queued[] } | undefined;
  private closed = false;

  constructor(path: string, options: { writerThread?: boolean } = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS idempotency (
      key         TEXT PRIMARY KEY,
      fingerprint TEXT NOT NULL,
      stream      TEXT,
      status      INTEGER,
      body        TEXT,
      created_at  INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.get_ = this.db.prepare('SELECT fingerprint, stream, status, body FROM idempotency WHERE key = ?');
    this.local = {
      begin: this.db.prepare(WRITES.begin),
      stream: this.db.prepare(WRITES.stream),
      finish: this.db.prepare(WRITES.finish),
      forget: this.db.prepare(WRITES.forget),
    };
    const transaction = this.db.transaction((writes: readonly Write[]) => {
      for (const [name, ...args] of writes) this.local[name].run(...args);
    });
    this.commitLocally = (writes) => transaction.immediate(writes);
    if (options.writerThread !== false && path !== ':memory:') this.startWriter(path);
  }

  private startWriter(path: string): void {
    const report = new Int32Array(new SharedArrayBuffer(12));
    const writer = new Worker(WRITER, { eval: true, workerData: { sqlite: require.resolve('better-sqlite3'), path, writes: WRITES, report: report.buffer } });
    writer.unref();
    writer.on('message', (msg: { seq: number; error?: string }) => this.settle(msg.seq, msg.error));
    const lost = () => {
      if (this.writer !== writer) return;
      // The batch in flight is committed here (its writes may be applied twice: each one is idempotent).
      this.writer = undefined;
      const inFlight = this.inFlight;
      this.inFlight = undefined;
      if (inFlight) this.commitHere(inFlight.batch);
      this.scheduleFlush();
    };
    writer.on('error', lost);
    writer.on('exit', lost);
    this.writer = writer;
    this.report = report;
  }

  get(key: string): IdempotencyRecord | undefined {
    const row = this.get_.get(key) as { fingerprint: string; stream: string | null; status: number | null; body: string | null } | undefined;
    if (!row) return undefined;
    if (row.status === null) return { state: 'in-doubt', fingerprint: row.fingerprint, stream: row.stream };
    return { state: 'done', fingerprint: row.fingerprint, answer: { status: row.status, body: row.body ?? '' } };
  }

  begin(key: string, fingerprint: string): Promise<void> {
    return this.durably(['begin', key, fingerprint, Date.now()]);
  }

  targetStream(key: string, stream: string): Promise<void> {
    return this.durably(['stream', stream, key]);
  }

  finish(key: string, answer: StoredAnswer): Promise<void> {
    return this.durably(['finish', answer.status, answer.body, key]);
  }

  /** A command refused before it touched any stream leaves no trace: the key can be used again. */
  forget(key: string): Promise<void> {
    return this.durably(['forget', key]);
  }

  /** Queues a write for the next group commit; resolves once it is committed (and, synchronous=FULL, fsynced). */
  private durably(write: Write): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the idempotency store is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ write, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.queued.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Starts the next group commit, unless one is in flight (what queues meanwhile goes in the one after it). */
  private flush(): void {
    if (this.inFlight || this.queued.length === 0) return;
    const batch = this.queued;
    this.queued = [];
    this.commit(batch);
  }

  /** Commits one batch, in one transaction: all of it, or (on a failure) none of it. */
  private commit(batch: Queued[]): void {
    if (!this.writer) return this.commitHere(batch);
    const seq = ++this.seq;
    this.inFlight = { seq, batch };
    this.writer.postMessage({ seq, writes: batch.map((q) => q.write) });
  }

  private commitHere(batch: readonly Queued[]): void {
    try {
      this.commitLocally(batch.map((q) => q.write));
    } catch (e) {
      for (const q of batch) q.reject(e);
      return;
    }
    for (const q of batch) q.resolve();
  }

  /** The writer thread finished batch `seq`. */
  private settle(seq: number, error: string | undefined): void {
    const inFlight = this.inFlight;
    if (!inFlight || inFlight.seq !== seq) return; // settled by close() already
    this.inFlight = undefined;
    if (error === undefined) for (const q of inFlight.batch) q.resolve();
    else {
      const e = new Error(`idempotency record not written: ${error}`);
      for (const q of inFlight.batch) q.reject(e);
    }
    this.flush();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const inFlight = this.inFlight;
    if (inFlight && this.report) {
      const report = this.report;
      const deadline = Date.now() + CLOSE_WAIT_MS;
      while (Atomics.load(report, DONE) < inFlight.seq && Date.now() < deadline) Atomics.wait(report, DONE, Atomics.load(report, DONE), Math.max(1, deadline - Date.now()));
      this.inFlight = undefined;
      if (Atomics.load(report, DONE) >= inFlight.seq && Atomics.load(report, FAILED) === 0) for (const q of inFlight.batch) q.resolve();
      else this.commitHere(inFlight.batch); // failed or not done in time: committed here (each write is idempotent)
    }
    if (this.writer && this.report) {
      const writer = this.writer;
      this.writer = undefined;
      writer.postMessage({ close: true });
      // Its connection is closed before this returns: nothing holds the file afterwards.
      const deadline = Date.now() + CLOSE_WAIT_MS;
      while (Atomics.load(this.report, CLOSED) === 0 && Date.now() < deadline) Atomics.wait(this.report, CLOSED, 0, Math.max(1, deadline - Date.now()));
    }
    const queued = this.queued;
    this.queued = [];
    if (queued.length > 0) this.commitHere(queued);
    this.db.close();
  }
}
