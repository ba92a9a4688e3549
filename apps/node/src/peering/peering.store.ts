import Database from 'better-sqlite3';
import { parseJsonText, type JsonObject } from '@corridor/protocol';

/**
 * What peering adds beside the chains, in the node's `peering.sqlite`: co-signatures of shared receipts, co-signed
 * checkpoints, and transition proposals (sent and not yet seen in a receipt, or applied by this sequencer). The
 * chains themselves stay append-only and byte-identical on every node; proofs are merged in when served.
 *
 * Durability (spec/peering.md §6): WAL with `synchronous = NORMAL` — every commit survives the process being killed
 * (kill -9), and only an operating-system crash can lose the last ones. That is enough for co-signatures and
 * checkpoints, which are made again or fetched again by catch-up (this node's own co-signature of a receipt it holds
 * is deterministic; peers' co-signatures and checkpoints are pulled from them), and it keeps an fsync per co-signed
 * receipt off the event loop. What cannot be made again — a proposal a client was told is on its way, a proposal
 * this sequencer applied (which must never be applied twice), a corridor this node shares — is committed with
 * `synchronous = FULL` (`durable`), which also flushes everything committed before it.
 */
export class PeeringStore {
  private readonly db: Database.Database;
  private readonly stmt;
  private readonly registered = new Set<string>();
  private readonly watermarks = new Map<string, number>();
  /** Sent proposals waiting for their group commit, and their ids by corridor and transition digest meanwhile. */
  private readonly sentQueue: Array<{ id: string; corridorId: string; proposal: JsonObject; transitionDigest: string; resolve: () => void; reject: (e: unknown) => void }> = [];
  private readonly unsent = new Map<string, string>();

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS cosignatures (
        stream TEXT NOT NULL, sequence INTEGER NOT NULL, signer TEXT NOT NULL, next_root TEXT NOT NULL, proof TEXT NOT NULL,
        PRIMARY KEY (stream, sequence, signer)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS checkpoints (
        stream TEXT NOT NULL, size INTEGER NOT NULL, checkpoint TEXT NOT NULL, signers INTEGER NOT NULL,
        PRIMARY KEY (stream, size)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS proposals (
        id TEXT PRIMARY KEY, corridor_id TEXT NOT NULL, role TEXT NOT NULL, proposal TEXT NOT NULL, transition_digest TEXT NOT NULL,
        sequence INTEGER, created_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS corridors (corridor_id TEXT PRIMARY KEY, registered_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS proposals_pending ON proposals (corridor_id, role, sequence);
    `);
    this.stmt = {
      putCosig: this.db.prepare('INSERT INTO cosignatures (stream, sequence, signer, next_root, proof) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      cosigsIn: this.db.prepare('SELECT sequence, next_root, proof FROM cosignatures WHERE stream = ? AND sequence BETWEEN ? AND ? ORDER BY sequence, signer'),
      // The sequence before the first one missing: -1 when 0 is missing, else the smallest s whose s+1 is missing.
      firstGap: this.db.prepare(
        `SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM cosignatures WHERE stream = @stream AND signer = @signer AND sequence = 0) THEN -1 ELSE
           (SELECT MIN(c.sequence) FROM cosignatures c WHERE c.stream = @stream AND c.signer = @signer AND NOT EXISTS
             (SELECT 1 FROM cosignatures d WHERE d.stream = c.stream AND d.signer = c.signer AND d.sequence = c.sequence + 1)) END AS s`,
      ),
      has: this.db.prepare('SELECT 1 FROM cosignatures WHERE stream = ? AND signer = ? AND sequence = ?'),
      putCheckpoint: this.db.prepare(
        'INSERT INTO checkpoints (stream, size, checkpoint, signers) VALUES (?, ?, ?, ?) ON CONFLICT(stream, size) DO UPDATE SET checkpoint = excluded.checkpoint, signers = excluded.signers WHERE excluded.signers > checkpoints.signers',
      ),
      checkpointAt: this.db.prepare('SELECT checkpoint FROM checkpoints WHERE stream = ? AND size = ?'),
      latestCheckpoint: this.db.prepare('SELECT checkpoint FROM checkpoints WHERE stream = ? ORDER BY size DESC LIMIT 1'),
      latestFull: this.db.prepare('SELECT checkpoint FROM checkpoints WHERE stream = ? AND signers >= ? ORDER BY size DESC LIMIT 1'),
      putProposal: this.db.prepare('INSERT INTO proposals (id, corridor_id, role, proposal, transition_digest, sequence, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING'),
      proposal: this.db.prepare('SELECT role, sequence FROM proposals WHERE id = ?'),
      settle: this.db.prepare('UPDATE proposals SET sequence = ? WHERE id = ? AND sequence IS NULL'),
      settleByTransition: this.db.prepare("UPDATE proposals SET sequence = ? WHERE corridor_id = ? AND role = 'sent' AND sequence IS NULL AND transition_digest = ? AND id = (SELECT id FROM proposals WHERE corridor_id = ? AND role = 'sent' AND sequence IS NULL AND transition_digest = ? ORDER BY created_at LIMIT 1)"),
      pendingByTransition: this.db.prepare("SELECT id FROM proposals WHERE corridor_id = ? AND role = 'sent' AND sequence IS NULL AND transition_digest = ? LIMIT 1"),
      forget: this.db.prepare('DELETE FROM proposals WHERE id = ? AND sequence IS NULL'),
      register: this.db.prepare('INSERT INTO corridors (corridor_id, registered_at) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      corridors: this.db.prepare('SELECT corridor_id FROM corridors ORDER BY corridor_id'),
      hasCosigs: this.db.prepare('SELECT 1 FROM cosignatures WHERE stream = ? LIMIT 1'),
      pending: this.db.prepare("SELECT proposal FROM proposals WHERE corridor_id = ? AND role = 'sent' AND sequence IS NULL ORDER BY created_at LIMIT ?"),
    };
  }

  /**
   * Runs `fn` in one SQLite transaction (one commit for the many small writes of a batch); `durable` commits it with
   * an fsync, as proposals need.
   */
  transaction(fn: () => void, durable = false): void {
    if (durable) this.durably(() => this.db.transaction(fn)());
    else this.db.transaction(fn)();
  }

  /** Runs `fn` with fsynced commits (the setting applies to transactions begun while it holds). */
  private durably(fn: () => void): void {
    if (this.db.inTransaction) throw new Error('PeeringStore: a durable write must begin its own transaction');
    this.db.pragma('synchronous = FULL');
    try {
      fn();
    } finally {
      this.db.pragma('synchronous = NORMAL');
    }
  }

  addCosignature(stream: string, sequence: number, signer: string, nextRoot: string, proof: JsonObject): void {
    this.stmt.putCosig.run(stream, sequence, signer, nextRoot, JSON.stringify(proof));
  }

  hasCosignature(stream: string, sequence: number, signer: string): boolean {
    return this.stmt.has.get(stream, signer, sequence) !== undefined;
  }

  /** Co-signatures stored for receipts `from..to`, by sequence, each with the next_root it signed. */
  cosignatures(stream: string, from: number, to: number): Map<number, { nextRoot: string; proof: JsonObject }[]> {
    const out = new Map<number, { nextRoot: string; proof: JsonObject }[]>();
    for (const row of this.stmt.cosigsIn.all(stream, from, to) as { sequence: number; next_root: string; proof: string }[]) {
      const list = out.get(row.sequence) ?? [];
      list.push({ nextRoot: row.next_root, proof: parseJsonText(row.proof) as JsonObject });
      out.set(row.sequence, list);
    }
    return out;
  }

  /** The last sequence of the unbroken run of receipts `signer` co-signed from 0 (-1: none). */
  cosignedUpTo(stream: string, signer: string): number {
    return this.cosignedUpToAny(stream, [signer]);
  }

  /**
   * The same for a participant whose key was rotated: a sequence counts as co-signed when any of its keys signed
   * it (each key signs its own range of sequences).
   */
  cosignedUpToAny(stream: string, keys: readonly string[]): number {
    const cacheKey = `${stream}\u0000${keys.join(',')}`;
    let mark = this.watermarks.get(cacheKey);
    if (mark === undefined) {
      mark = -1;
      for (const k of keys) {
        const first = this.stmt.firstGap.get({ stream, signer: k }) as { s: number | null };
        mark = Math.max(mark, first.s ?? -1);
      }
    }
    const has = (seq: number) => keys.some((k) => this.stmt.has.get(stream, k, seq) !== undefined);
    while (has(mark + 1)) mark++;
    this.watermarks.set(cacheKey, mark);
    return mark;
  }

  /** Keeps the checkpoint at its size with the most signers seen. */
  putCheckpoint(stream: string, size: number, checkpoint: JsonObject, signers: number): void {
    this.stmt.putCheckpoint.run(stream, size, JSON.stringify(checkpoint), signers);
  }

  checkpointAt(stream: string, size: number): JsonObject | undefined {
    const row = this.stmt.checkpointAt.get(stream, size) as { checkpoint: string } | undefined;
    return row ? (parseJsonText(row.checkpoint) as JsonObject) : undefined;
  }

  /** The latest checkpoint signed by at least `signers` zones (1: any). */
  latestCheckpoint(stream: string, signers = 1): JsonObject | undefined {
    const row = (signers <= 1 ? this.stmt.latestCheckpoint.get(stream) : this.stmt.latestFull.get(stream, signers)) as { checkpoint: string } | undefined;
    return row ? (parseJsonText(row.checkpoint) as JsonObject) : undefined;
  }

  /**
   * Proposals this sequencer is about to apply, committed durably (one fsync) before the corridor sees them: a
   * proposal applied once must be known as applied after any crash, or a re-sent copy would be applied again.
   */
  recordAppliedProposals(corridorId: string, proposals: ReadonlyArray<{ id: string; proposal: JsonObject }>): void {
    this.transaction(() => {
      for (const { id, proposal } of proposals) this.stmt.putProposal.run(id, corridorId, 'applied', JSON.stringify(proposal), '', null, Date.now());
    }, true);
  }

  /**
   * A proposal this node sends on a client's behalf, committed durably (fsync) before the promise resolves. The
   * records of one turn of the event loop share one transaction — one fsync for a burst of client requests, not one
   * each. Until committed it already counts as pending for {@link pendingProposalOf}, so a retry of the same
   * transition in the meantime is the same proposal.
   */
  recordSentProposal(id: string, corridorId: string, proposal: JsonObject, transitionDigest: string): Promise<void> {
    this.unsent.set(`${corridorId}\u0000${transitionDigest}`, id);
    return new Promise<void>((resolve, reject) => {
      this.sentQueue.push({ id, corridorId, proposal, transitionDigest, resolve, reject });
      if (this.sentQueue.length === 1) setImmediate(() => this.commitSent());
    });
  }

  private commitSent(): void {
    const batch = this.sentQueue.splice(0);
    try {
      this.transaction(() => {
        for (const r of batch) this.stmt.putProposal.run(r.id, r.corridorId, 'sent', JSON.stringify(r.proposal), r.transitionDigest, null, Date.now());
      }, true);
    } catch (e) {
      for (const r of batch) r.reject(e);
      return;
    } finally {
      for (const r of batch) this.unsent.delete(`${r.corridorId}\u0000${r.transitionDigest}`);
    }
    for (const r of batch) r.resolve();
  }

  proposal(id: string): { role: string; sequence: number | null } | undefined {
    return this.stmt.proposal.get(id) as { role: string; sequence: number | null } | undefined;
  }

  settleProposal(id: string, sequence: number): void {
    this.stmt.settle.run(sequence, id);
  }

  /** Marks the oldest unsettled sent proposal with this transition as carried by the receipt at `sequence`. */
  settleSentByTransition(corridorId: string, transitionDigest: string, sequence: number): boolean {
    return this.stmt.settleByTransition.run(sequence, corridorId, transitionDigest, corridorId, transitionDigest).changes > 0;
  }

  pendingProposals(corridorId: string, limit = 500): JsonObject[] {
    return (this.stmt.pending.all(corridorId, limit) as { proposal: string }[]).map((r) => parseJsonText(r.proposal) as JsonObject);
  }

  /** A sent proposal of this transition not yet carried by a receipt, if any. */
  pendingProposalOf(corridorId: string, transitionDigest: string): string | undefined {
    const unsent = this.unsent.get(`${corridorId}\u0000${transitionDigest}`);
    if (unsent) return unsent;
    return (this.stmt.pendingByTransition.get(corridorId, transitionDigest) as { id: string } | undefined)?.id;
  }

  forgetProposal(id: string): void {
    this.stmt.forget.run(id);
  }

  /** Shared corridors this node takes part in (their sync runs at startup and on a timer). */
  registerCorridor(corridorId: string): void {
    if (this.registered.has(corridorId)) return;
    this.durably(() => this.stmt.register.run(corridorId, Date.now()));
    this.registered.add(corridorId);
  }

  corridors(): { corridor_id: string }[] {
    return this.stmt.corridors.all() as { corridor_id: string }[];
  }

  /** Whether any co-signature is held for the stream (most streams have none: nothing to merge). */
  hasCosignatures(stream: string): boolean {
    return this.stmt.hasCosigs.get(stream) !== undefined;
  }

  close(): void {
    this.db.close();
  }
}
