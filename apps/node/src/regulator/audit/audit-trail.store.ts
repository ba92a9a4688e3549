import Database from 'better-sqlite3';

export type AuditDecision = 'allowed' | 'denied';

export interface AuditEntry {
  readonly id: number;
  /** When the request arrived (UTC, millisecond precision). */
  readonly at: string;
  /** The principal the bearer token identified; null when no valid token was presented. */
  readonly principal: string | null;
  readonly role: string | null;
  readonly method: string;
  readonly path: string;
  /** The query string parameters, as sent. */
  readonly query: Record<string, string | string[]>;
  readonly decision: AuditDecision;
  /** Why a request was denied (null when allowed). */
  readonly reason: string | null;
  /** HTTP status answered; null if the node stopped before answering. */
  readonly status: number | null;
  readonly remote: string | null;
}

export interface AuditFilter {
  readonly principal?: string;
  readonly decision?: AuditDecision;
  /** Inclusive lower bound of `at` (RFC 3339). */
  readonly from?: string;
  /** Exclusive upper bound of `at` (RFC 3339). */
  readonly to?: string;
  /** Entries with an id greater than this (the `next` of the previous page). */
  readonly after?: number;
  readonly limit: number;
}

interface Row {
  id: number;
  at_ms: number;
  principal: string | null;
  role: string | null;
  method: string;
  path: string;
  query: string;
  decision: AuditDecision;
  reason: string | null;
  status: number | null;
  remote: string | null;
}

/**
 * The access audit trail: one row per request to a guarded surface, written (fsynced) before the request is
 * handled, so a request is on record even if its handling fails; the status is filled in when it is answered.
 * Append-only: nothing in the node deletes or rewrites an entry other than setting its status once.
 */
export class AuditTrailStore {
  private readonly db: Database.Database;
  private readonly insert;
  private readonly answered;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS access_audit (
      id        INTEGER PRIMARY KEY AUTOINCREMENT,
      at_ms     INTEGER NOT NULL,
      principal TEXT,
      role      TEXT,
      method    TEXT NOT NULL,
      path      TEXT NOT NULL,
      query     TEXT NOT NULL,
      decision  TEXT NOT NULL CHECK (decision IN ('allowed', 'denied')),
      reason    TEXT,
      status    INTEGER,
      remote    TEXT
    );
    CREATE INDEX IF NOT EXISTS access_audit_principal ON access_audit (principal, id);
    CREATE INDEX IF NOT EXISTS access_audit_at ON access_audit (at_ms, id);`);
    this.insert = this.db.prepare(
      'INSERT INTO access_audit (at_ms, principal, role, method, path, query, decision, reason, status, remote) VALUES (@at_ms, @principal, @role, @method, @path, @query, @decision, @reason, @status, @remote)',
    );
    this.answered = this.db.prepare('UPDATE access_audit SET status = ? WHERE id = ? AND status IS NULL');
  }

  record(entry: Omit<AuditEntry, 'id' | 'at'> & { at: Date }): number {
    const info = this.insert.run({
      at_ms: entry.at.getTime(),
      principal: entry.principal,
      role: entry.role,
      method: entry.method,
      path: entry.path,
      query: JSON.stringify(entry.query),
      decision: entry.decision,
      reason: entry.reason,
      status: entry.status,
      remote: entry.remote,
    });
    return Number(info.lastInsertRowid);
  }

  setStatus(id: number, status: number): void {
    this.answered.run(status, id);
  }

  /** Entries oldest first, filtered; `next` is the id to pass as `after` for the following page, or null. */
  list(filter: AuditFilter): { items: AuditEntry[]; next: number | null } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.principal !== undefined) (where.push('principal = ?'), args.push(filter.principal));
    if (filter.decision !== undefined) (where.push('decision = ?'), args.push(filter.decision));
    if (filter.from !== undefined) (where.push('at_ms >= ?'), args.push(Date.parse(filter.from)));
    if (filter.to !== undefined) (where.push('at_ms < ?'), args.push(Date.parse(filter.to)));
    if (filter.after !== undefined) (where.push('id > ?'), args.push(filter.after));
    const sql = `SELECT * FROM access_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = this.db.prepare(sql).all(...args, filter.limit + 1) as Row[];
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return {
      items: page.map((r) => ({
        id: r.id,
        at: new Date(r.at_ms).toISOString(),
        principal: r.principal,
        role: r.role,
        method: r.method,
        path: r.path,
        query: JSON.parse(r.query) as Record<string, string | string[]>,
        decision: r.decision,
        reason: r.reason,
        status: r.status,
        remote: r.remote,
      })),
      next: more ? page[page.length - 1]!.id : null,
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
