import type Database from 'better-sqlite3';
import { comparePositions, type GlobalPosition, type StoredEvent } from '../port/event-store.port';
import type { CheckpointedConsumer } from './catch-up-subscription';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Subscription checkpoints kept in the consumer's own SQLite database, next to its read model, so that the
 * read-model writes and the checkpoint commit in one transaction.
 */
export class SqliteCheckpointStore {
  private readonly selectStmt: Database.Statement;
  private readonly upsertStmt: Database.Statement;

  constructor(
    readonly db: Database.Database,
    readonly table = 'subscription_checkpoints',
  ) {
    if (!TABLE_NAME.test(table)) throw new TypeError(`invalid checkpoint table name ${JSON.stringify(table)}`);
    db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
      subscription TEXT PRIMARY KEY,
      commit_position TEXT NOT NULL,
      prepare_position TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    ) WITHOUT ROWID`);
    this.selectStmt = db.prepare(`SELECT commit_position, prepare_position FROM ${table} WHERE subscription = ?`);
    this.upsertStmt = db.prepare(
      `INSERT INTO ${table} (subscription, commit_position, prepare_position, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (subscription) DO UPDATE SET commit_position = excluded.commit_position, prepare_position = excluded.prepare_position, updated_at = excluded.updated_at`,
    );
  }

  load(subscription: string): GlobalPosition | undefined {
    const row = this.selectStmt.get(subscription) as { commit_position: string; prepare_position: string } | undefined;
    return row ? { commit: BigInt(row.commit_position), prepare: BigInt(row.prepare_position) } : undefined;
  }

  /** Call inside the consumer's transaction (positions are stored as decimal text: they are unsigned 64-bit). */
  save(subscription: string, position: GlobalPosition): void {
    this.upsertStmt.run(subscription, position.commit.toString(), position.prepare.toString(), Date.now());
  }
}

export interface SqliteConsumerOptions {
  readonly name: string;
  readonly db: Database.Database;
  /** Applies one event to the read model. Runs inside the transaction that also stores the checkpoint. */
  readonly project: (event: StoredEvent, db: Database.Database) => void;
  readonly checkpointTable?: string;
}

/**
 * A consumer whose projection and checkpoint live in one SQLite database: each event is projected and
 * checkpointed in a single transaction. An event at or before the stored checkpoint (a redelivery after a
 * reconnect) is skipped inside that transaction, so every event takes effect exactly once.
 */
export function sqliteConsumer(options: SqliteConsumerOptions): CheckpointedConsumer {
  const checkpoints = new SqliteCheckpointStore(options.db, options.checkpointTable);
  const apply = options.db.transaction((event: StoredEvent) => {
    const current = checkpoints.load(options.name);
    if (current && comparePositions(event.position, current) <= 0) return;
    options.project(event, options.db);
    checkpoints.save(options.name, event.position);
  });
  return {
    name: options.name,
    loadCheckpoint: () => checkpoints.load(options.name),
    handle: (event) => {
      apply.immediate(event);
    },
  };
}
