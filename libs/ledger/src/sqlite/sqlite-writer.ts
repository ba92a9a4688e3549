import Database from 'better-sqlite3';

/**
 * The write side of the SQLite event store: schema, pragmas, and the group commit. It runs on the event loop or
 * in the store's writer thread (worker/sqlite-writer.worker.js); everything it exchanges is plain data, so the
 * same code serves both.
 */

/** How far an acknowledged append is guaranteed to survive; see `SqliteEventStoreConfig.durability`. */
export type SqliteDurability = 'full' | 'normal';

export const SCHEMA_VERSION = 1;

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
`;

export interface OpenOptions {
  readonly durability: SqliteDurability;
  readonly busyTimeoutMs: number;
}

/** Opens (creating if needed) a ledger database: WAL, the durability's `synchronous`, the schema. */
export function openLedgerDatabase(path: string, options: OpenOptions): Database.Database {
  const db = new Database(path, { timeout: options.busyTimeoutMs });
  try {
    if (path !== ':memory:') {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`could not switch ${path} to WAL (journal_mode is ${String(mode)})`);
    }
    db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    db.exec(SCHEMA);
    const version = db.prepare('SELECT version FROM ledger_schema').pluck().get() as number | undefined;
    if (version === undefined) db.prepare('INSERT INTO ledger_schema (version) VALUES (?)').run(SCHEMA_VERSION);
    else if (version !== SCHEMA_VERSION) throw new Error(`unsupported ledger schema version ${version} (this build reads ${SCHEMA_VERSION})`);
    return db;
  } catch (e) {
    db.close();
    throw e;
  }
}

/** One append as the writer receives it. `expectedLast` is -1 for "no stream". */
export interface WireAppend {
  readonly stream: string;
  readonly expectedLast: number;
  readonly events: readonly { id: string; type: string; data: string; metadata: string | null }[];
}

/** The outcome of one append: its last revision, or the stream's actual last revision (-1: none) on a conflict. */
export type WireOutcome = { readonly ok: number } | { readonly conflict: number };

/**
 * Commits a batch of appends in one transaction (BEGIN IMMEDIATE … COMMIT: one fsync with `full` durability).
 * Each append runs in its own savepoint and keeps its own optimistic-concurrency check; a retry of an append that
 * is already stored (same event ids right after its expected revision) succeeds without writing.
 */
export class SqliteWriter {
  private readonly stmt;
  private readonly run: (batch: readonly WireAppend[]) => WireOutcome[];

  constructor(readonly db: Database.Database) {
    this.stmt = {
      head: db.prepare('SELECT revision FROM streams WHERE stream = ?').pluck(),
      lastPosition: db.prepare('SELECT COALESCE(MAX(position), 0) FROM events').pluck(),
      insert: db.prepare('INSERT INTO events (position, stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      upsertHead: db.prepare(
        'INSERT INTO streams (stream, revision, position) VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, position = excluded.position',
      ),
      idsFrom: db.prepare('SELECT event_id FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?').pluck(),
    };
    const transaction = db.transaction((batch: readonly WireAppend[]) => {
      const now = Date.now();
      let position = this.stmt.lastPosition.get() as number;
      return batch.map((a) => {
        const actual = this.stmt.head.get(a.stream) as number | undefined;
        const actualLast = actual ?? -1;
        if (a.expectedLast !== actualLast) {
          return a.expectedLast < actualLast && this.isRetry(a) ? { ok: a.expectedLast + a.events.length } : { conflict: actualLast };
        }
        let revision = actualLast;
        for (const e of a.events) {
          position++;
          revision++;
          this.stmt.insert.run(position, a.stream, revision, e.id, e.type, e.data, e.metadata, now);
        }
        this.stmt.upsertHead.run(a.stream, revision, position);
        return { ok: revision };
      });
    });
    this.run = (batch) => transaction.immediate(batch);
  }

  /** Throws only when the transaction as a whole fails (I/O, a locked database): then nothing was written. */
  commit(batch: readonly WireAppend[]): WireOutcome[] {
    return this.run(batch);
  }

  /** The same event ids are already stored right after the expected revision: the append happened before. */
  private isRetry(a: WireAppend): boolean {
    const ids = this.stmt.idsFrom.all(a.stream, a.expectedLast + 1, a.events.length) as string[];
    return ids.length === a.events.length && ids.every((id, i) => id === a.events[i]!.id);
  }
}
