import Database from 'better-sqlite3';
import { parseJsonText, type JsonObject } from '@corridor/protocol';

/** One attestation as the node keeps it: the first one each watcher gave for each height of each corridor. */
export interface StoredAttestation {
  watcher: string;
  receipt_count: number;
  final_state_root: string;
  digest: string;
  /** Whether it attests this node's own chain at that height (only those count towards quorum). */
  matches: boolean;
  credential: JsonObject;
}

/**
 * The watcher attestations a node has received (`watchers.sqlite`). Every validly signed attestation by a bonded
 * watcher is kept — including those that do not match this node's chain — because the first one per height is the
 * evidence against a watcher that later signs another head at that height.
 */
export class AttestationStore {
  private readonly db: Database.Database;
  private readonly stmt;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS attestations (
      corridor_id TEXT NOT NULL, watcher TEXT NOT NULL, receipt_count INTEGER NOT NULL, final_state_root TEXT NOT NULL,
      digest TEXT NOT NULL, matches INTEGER NOT NULL, credential TEXT NOT NULL, received_at INTEGER NOT NULL,
      PRIMARY KEY (corridor_id, watcher, receipt_count)) WITHOUT ROWID`);
    this.stmt = {
      at: this.db.prepare('SELECT * FROM attestations WHERE corridor_id = ? AND watcher = ? AND receipt_count = ?'),
      put: this.db.prepare(
        // The first attestation per height stays (the evidence); the same head may later turn out to match this
        // node's chain (it was behind when the attestation first came): then it counts.
        `INSERT INTO attestations (corridor_id, watcher, receipt_count, final_state_root, digest, matches, credential, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (corridor_id, watcher, receipt_count) DO UPDATE SET matches = 1 WHERE excluded.matches = 1 AND attestations.matches = 0 AND attestations.final_state_root = excluded.final_state_root`,
      ),
      latestMatching: this.db.prepare(
        `SELECT a.* FROM attestations a WHERE a.corridor_id = ? AND a.matches = 1 AND a.receipt_count =
           (SELECT MAX(b.receipt_count) FROM attestations b WHERE b.corridor_id = a.corridor_id AND b.watcher = a.watcher AND b.matches = 1)`,
      ),
    };
  }

  at(corridorId: string, watcher: string, receiptCount: number): StoredAttestation | undefined {
    const row = this.stmt.at.get(corridorId, watcher, receiptCount) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /**
   * Keeps the first attestation per (corridor, watcher, height); a later one of the same head marks it as matching
   * when it now does. True when a row was added or upgraded.
   */
  put(corridorId: string, a: StoredAttestation): boolean {
    return this.stmt.put.run(corridorId, a.watcher, a.receipt_count, a.final_state_root, a.digest, a.matches ? 1 : 0, JSON.stringify(a.credential), Date.now()).changes > 0;
  }

  /** Each watcher's highest attestation that matched this node's chain. */
  latestMatching(corridorId: string): StoredAttestation[] {
    return (this.stmt.latestMatching.all(corridorId) as Row[]).map(fromRow);
  }

  close(): void {
    this.db.close();
  }
}

interface Row {
  watcher: string;
  receipt_count: number;
  final_state_root: string;
  digest: string;
  matches: number;
  credential: string;
}

function fromRow(r: Row): StoredAttestation {
  return { watcher: r.watcher, receipt_count: r.receipt_count, final_state_root: r.final_state_root, digest: r.digest, matches: r.matches === 1, credential: parseJsonText(r.credential) as JsonObject };
}
