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
 */
export class IdempotencyStore {
  private readonly db: Database.Database;
  private readonly stmt;

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
  }

  get(key: string): IdempotencyRecord | undefined {
    const row = this.stmt.get.get(key) as { fingerprint: string; stream: string | null; status: number | null; body: string | null } | undefined;
    if (!row) return undefined;
    if (row.status === null) return { state: 'in-doubt', fingerprint: row.fingerprint, stream: row.stream };
    return { state: 'done', fingerprint: row.fingerprint, answer: { status: row.status, body: row.body ?? '' } };
  }

  begin(key: string, fingerprint: string): void {
    this.stmt.begin.run(key, fingerprint, Date.now());
  }

  targetStream(key: string, stream: string): void {
    this.stmt.stream.run(stream, key);
  }

  finish(key: string, answer: StoredAnswer): void {
    this.stmt.finish.run(answer.status, answer.body, key);
  }

  /** A command refused before it touched any stream leaves no trace: the key can be used again. */
  forget(key: string): void {
    this.stmt.forget.run(key);
  }

  close(): void {
    this.db.close();
  }
}
