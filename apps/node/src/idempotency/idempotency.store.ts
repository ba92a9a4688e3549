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

/**
 * Durable `Idempotency-Key` records in the node's own SQLite file. A key is recorded before its command runs
 * (with the stream it targets once known) and its answer after, so a retry after a crash can look in that
 * stream for the event carrying the key instead of applying the command twice.
 *
 * Writes are group-committed: each resolves once it is durable, and the writes of all requests made in one turn of
 * the event loop share one transaction — one fsync instead of one per write, which blocked the event loop three
 * times per keyed command.
 */
export class IdempotencyStore {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly commit: (writes: readonly (() => void)[]) => void;
  private queued: { write: () => void; resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(path: string) {
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
    this.stmt = {
      get: this.db.prepare('SELECT fingerprint, stream, status, body FROM idempotency WHERE key = ?'),
      begin: this.db.prepare('INSERT INTO idempotency (key, fingerprint, created_at) VALUES (?, ?, ?) ON CONFLICT(key) DO NOTHING'),
      stream: this.db.prepare('UPDATE idempotency SET stream = ? WHERE key = ? AND status IS NULL'),
      finish: this.db.prepare('UPDATE idempotency SET status = ?, body = ? WHERE key = ?'),
      forget: this.db.prepare('DELETE FROM idempotency WHERE key = ? AND status IS NULL'),
    };
    const transaction = this.db.transaction((writes: readonly (() => void)[]) => {
      for (const write of writes) write();
    });
    this.commit = (writes) => transaction.immediate(writes);
  }

  get(key: string): IdempotencyRecord | undefined {
    const row = this.stmt.get.get(key) as { fingerprint: string; stream: string | null; status: number | null; body: string | null } | undefined;
    if (!row) return undefined;
    if (row.status === null) return { state: 'in-doubt', fingerprint: row.fingerprint, stream: row.stream };
    return { state: 'done', fingerprint: row.fingerprint, answer: { status: row.status, body: row.body ?? '' } };
  }

  begin(key: string, fingerprint: string): Promise<void> {
    const createdAt = Date.now();
    return this.durably(() => this.stmt.begin.run(key, fingerprint, createdAt));
  }

  targetStream(key: string, stream: string): Promise<void> {
    return this.durably(() => this.stmt.stream.run(stream, key));
  }

  finish(key: string, answer: StoredAnswer): Promise<void> {
    return this.durably(() => this.stmt.finish.run(answer.status, answer.body, key));
  }

  /** A command refused before it touched any stream leaves no trace: the key can be used again. */
  forget(key: string): Promise<void> {
    return this.durably(() => this.stmt.forget.run(key));
  }

  /** Queues a write for the next group commit; resolves once it is committed (and, synchronous=FULL, fsynced). */
  private durably(write: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queued.push({ write, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits everything queued in one transaction: all of it, or (on a failure) none of it. */
  private flush(): void {
    const batch = this.queued;
    if (batch.length === 0) return;
    this.queued = [];
    try {
      this.commit(batch.map((q) => q.write));
    } catch (e) {
      for (const q of batch) q.reject(e);
      return;
    }
    for (const q of batch) q.resolve();
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
