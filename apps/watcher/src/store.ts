import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MmrPeak } from '@corridor/protocol';
import type { ChainHead } from './verify/receipt-verifier';

/**
 * The watcher's durable state (`watcher.sqlite`, WAL, synchronous FULL: a commit is on disk when it returns):
 * per corridor the facts pinned on first sight and every verified receipt (first seen, canonical bytes), per
 * (node, corridor) the cursor of the verified chain, the attestations made and their delivery to each node, and
 * the fork alarms raised and their delivery.
 *
 * Receipts and cursors are written in batches (`stageReceipt` / `stageCursor`, then `flush`): one transaction per
 * batch, so a cursor is never durable before the receipts it covers, and a batch costs one fsync.
 */

export interface StoredCorridor {
  corridor_id: string;
  genesis_root: string | null;
  lawpack_digest_set: string | null;
  ruleset_digest_set: string | null;
  sequencer: string | null;
  signers: string | null;
  peered: number | null;
  /** JSON list of the verified key rotations. */
  rotations: string | null;
}

export interface StoredReceipt {
  sequence: number;
  prev_root: string;
  next_root: string;
  source: string;
  body: string;
}

export interface StoredAttestation {
  corridor_id: string;
  size: number;
  mmr_root: string;
  final_state_root: string;
  head_digest: string;
  checkpoint_digest: string;
  checkpoint: string;
  attestation: string;
  created_at: string;
}

export interface StoredDelivery {
  corridor_id: string;
  node: string;
  size: number;
  status: 'pending' | 'accepted' | 'refused';
  detail: string | null;
  answer: string | null;
  attempts: number;
  updated_at: string;
}

export interface StoredAlarm {
  id: string;
  corridor_id: string;
  sequence: number;
  prev_root: string;
  next_root_a: string;
  next_root_b: string;
  credential: string;
  receipt_a: string;
  receipt_b: string;
  reason: string;
  created_at: string;
}

export interface StoredAlarmDelivery {
  alarm_id: string;
  node: string;
  status: 'pending' | 'accepted' | 'refused';
  detail: string | null;
  attempts: number;
}

const SCHEMA_VERSION = '1';

export class WatcherStore {
  readonly db: Database.Database;
  private readonly stmt;
  private pendingReceipts: unknown[][] = [];
  private readonly pendingCursors = new Map<string, { node: string; corridorId: string; head: () => ChainHead }>();
  private readonly pendingByCorridor = new Map<string, Map<number, StoredReceipt>>();
  private readonly flushBatch: () => void;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dataDir, 'watcher.sqlite'));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS corridors (
        corridor_id TEXT PRIMARY KEY, genesis_root TEXT, lawpack_digest_set TEXT, ruleset_digest_set TEXT,
        sequencer TEXT, signers TEXT, peered INTEGER, rotations TEXT) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS receipts (
        corridor_id TEXT NOT NULL, sequence INTEGER NOT NULL, prev_root TEXT NOT NULL, next_root TEXT NOT NULL,
        source TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (corridor_id, sequence));
      CREATE TABLE IF NOT EXISTS cursors (
        node TEXT NOT NULL, corridor_id TEXT NOT NULL, sequence INTEGER NOT NULL, next_root TEXT, mmr_size INTEGER NOT NULL,
        mmr_root TEXT NOT NULL, mmr_peaks TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (node, corridor_id)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS attestations (
        corridor_id TEXT NOT NULL, size INTEGER NOT NULL, mmr_root TEXT NOT NULL, final_state_root TEXT NOT NULL,
        head_digest TEXT NOT NULL, checkpoint_digest TEXT NOT NULL, checkpoint TEXT NOT NULL, attestation TEXT NOT NULL,
        created_at TEXT NOT NULL, PRIMARY KEY (corridor_id, size));
      CREATE TABLE IF NOT EXISTS deliveries (
        corridor_id TEXT NOT NULL, node TEXT NOT NULL, size INTEGER NOT NULL, status TEXT NOT NULL, detail TEXT, answer TEXT,
        attempts INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (corridor_id, node)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS alarms (
        id TEXT PRIMARY KEY, corridor_id TEXT NOT NULL, sequence INTEGER NOT NULL, prev_root TEXT NOT NULL,
        next_root_a TEXT NOT NULL, next_root_b TEXT NOT NULL, credential TEXT NOT NULL, receipt_a TEXT NOT NULL,
        receipt_b TEXT NOT NULL, reason TEXT NOT NULL, created_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS alarm_deliveries (
        alarm_id TEXT NOT NULL, node TEXT NOT NULL, status TEXT NOT NULL, detail TEXT, attempts INTEGER NOT NULL,
        PRIMARY KEY (alarm_id, node)) WITHOUT ROWID;
    `);
    const version = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
    if (!version) this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', SCHEMA_VERSION);
    else if (version.value !== SCHEMA_VERSION) throw new Error(`watcher.sqlite has schema version ${version.value}; this watcher needs ${SCHEMA_VERSION}`);
    this.stmt = {
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      putMeta: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      corridor: this.db.prepare('SELECT * FROM corridors WHERE corridor_id = ?'),
      putCorridor: this.db.prepare(
        `INSERT INTO corridors (corridor_id, genesis_root, lawpack_digest_set, ruleset_digest_set, sequencer, signers, peered, rotations)
         VALUES (@corridor_id, @genesis_root, @lawpack_digest_set, @ruleset_digest_set, @sequencer, @signers, @peered, @rotations)
         ON CONFLICT(corridor_id) DO UPDATE SET genesis_root = excluded.genesis_root, lawpack_digest_set = excluded.lawpack_digest_set,
           ruleset_digest_set = excluded.ruleset_digest_set, sequencer = excluded.sequencer, signers = excluded.signers, peered = excluded.peered,
           rotations = excluded.rotations`,
      ),
      putReceipt: this.db.prepare('INSERT INTO receipts (corridor_id, sequence, prev_root, next_root, source, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      receipt: this.db.prepare('SELECT sequence, prev_root, next_root, source, body FROM receipts WHERE corridor_id = ? AND sequence = ?'),
      receiptRoots: this.db.prepare('SELECT prev_root, next_root FROM receipts WHERE corridor_id = ? AND sequence = ?'),
      maxReceipt: this.db.prepare('SELECT MAX(sequence) AS s FROM receipts WHERE corridor_id = ?'),
      cursor: this.db.prepare('SELECT * FROM cursors WHERE node = ? AND corridor_id = ?'),
      putCursor: this.db.prepare(
        `INSERT INTO cursors (node, corridor_id, sequence, next_root, mmr_size, mmr_root, mmr_peaks, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(node, corridor_id) DO UPDATE SET sequence = excluded.sequence, next_root = excluded.next_root, mmr_size = excluded.mmr_size,
           mmr_root = excluded.mmr_root, mmr_peaks = excluded.mmr_peaks, updated_at = excluded.updated_at`,
      ),
      lastAttestation: this.db.prepare('SELECT * FROM attestations WHERE corridor_id = ? ORDER BY size DESC LIMIT 1'),
      attestationAt: this.db.prepare('SELECT * FROM attestations WHERE corridor_id = ? AND size = ?'),
      putAttestation: this.db.prepare(
        `INSERT INTO attestations (corridor_id, size, mmr_root, final_state_root, head_digest, checkpoint_digest, checkpoint, attestation, created_at)
         VALUES (@corridor_id, @size, @mmr_root, @final_state_root, @head_digest, @checkpoint_digest, @checkpoint, @attestation, @created_at)`,
      ),
      refreshAttestation: this.db.prepare('UPDATE attestations SET attestation = ?, created_at = ? WHERE corridor_id = ? AND size = ?'),
      deliveries: this.db.prepare('SELECT * FROM deliveries WHERE corridor_id = ? ORDER BY node'),
      putDelivery: this.db.prepare(
        `INSERT INTO deliveries (corridor_id, node, size, status, detail, answer, attempts, updated_at) VALUES (@corridor_id, @node, @size, @status, @detail, @answer, @attempts, @updated_at)
         ON CONFLICT(corridor_id, node) DO UPDATE SET size = excluded.size, status = excluded.status, detail = excluded.detail, answer = excluded.answer,
           attempts = excluded.attempts, updated_at = excluded.updated_at`,
      ),
      alarms: this.db.prepare('SELECT * FROM alarms WHERE corridor_id = ? ORDER BY created_at, id'),
      alarm: this.db.prepare('SELECT * FROM alarms WHERE id = ?'),
      putAlarm: this.db.prepare(
        `INSERT INTO alarms (id, corridor_id, sequence, prev_root, next_root_a, next_root_b, credential, receipt_a, receipt_b, reason, created_at)
         VALUES (@id, @corridor_id, @sequence, @prev_root, @next_root_a, @next_root_b, @credential, @receipt_a, @receipt_b, @reason, @created_at) ON CONFLICT(id) DO NOTHING`,
      ),
      alarmDeliveries: this.db.prepare('SELECT * FROM alarm_deliveries WHERE alarm_id = ? ORDER BY node'),
      putAlarmDelivery: this.db.prepare(
        `INSERT INTO alarm_deliveries (alarm_id, node, status, detail, attempts) VALUES (@alarm_id, @node, @status, @detail, @attempts)
         ON CONFLICT(alarm_id, node) DO UPDATE SET status = excluded.status, detail = excluded.detail, attempts = excluded.attempts`,
      ),
    };
    this.flushBatch = this.db.transaction(() => {
      for (const row of this.pendingReceipts) this.stmt.putReceipt.run(...row);
      const now = Date.now();
      for (const c of this.pendingCursors.values()) {
        const h = c.head();
        this.stmt.putCursor.run(c.node, c.corridorId, h.sequence, h.nextRoot, h.mmrSize, h.mmrRoot, JSON.stringify(h.mmrPeaks), now);
      }
    });
  }

  meta(key: string): string | undefined {
    return (this.stmt.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt.putMeta.run(key, value);
  }

  corridor(id: string): StoredCorridor | undefined {
    return this.stmt.corridor.get(id) as StoredCorridor | undefined;
  }

  /** Corridor facts are written at once (not batched): they are pinned before any receipt that depends on them. */
  putCorridor(c: StoredCorridor): void {
    this.stmt.putCorridor.run(c);
  }

  // ---- batched: receipts and cursors ----

  /** Queues a verified receipt (first seen for its sequence in this corridor). */
  stageReceipt(corridorId: string, r: StoredReceipt): void {
    this.pendingReceipts.push([corridorId, r.sequence, r.prev_root, r.next_root, r.source, r.body]);
    let m = this.pendingByCorridor.get(corridorId);
    if (!m) this.pendingByCorridor.set(corridorId, (m = new Map()));
    m.set(r.sequence, r);
  }

  /**
   * Marks a subscription's cursor as changed. `head` is read when the batch is written (so the cursor costs nothing
   * per receipt): it must then describe exactly the receipts staged so far.
   */
  stageCursor(node: string, corridorId: string, head: () => ChainHead): void {
    const key = `${node}\u0000${corridorId}`;
    if (!this.pendingCursors.has(key)) this.pendingCursors.set(key, { node, corridorId, head });
  }

  get pendingCount(): number {
    return this.pendingReceipts.length + this.pendingCursors.size;
  }

  /** Writes every queued receipt and cursor in one transaction (durable when it returns). */
  flush(): void {
    if (this.pendingReceipts.length === 0 && this.pendingCursors.size === 0) return;
    this.flushBatch();
    this.pendingReceipts = [];
    this.pendingCursors.clear();
    this.pendingByCorridor.clear();
  }

  /** The receipt first verified at `sequence` (queued or written). */
  receipt(corridorId: string, sequence: number): StoredReceipt | undefined {
    const pending = this.pendingByCorridor.get(corridorId)?.get(sequence);
    if (pending) return pending;
    return this.stmt.receipt.get(corridorId, sequence) as StoredReceipt | undefined;
  }

  /** Roots only (no body): the cross-node comparison's lookup. */
  receiptRoots(corridorId: string, sequence: number): { prev_root: string; next_root: string } | undefined {
    const pending = this.pendingByCorridor.get(corridorId)?.get(sequence);
    if (pending) return pending;
    return this.stmt.receiptRoots.get(corridorId, sequence) as { prev_root: string; next_root: string } | undefined;
  }

  /** Highest sequence stored for the corridor (written only), -1 when none. */
  maxStoredSequence(corridorId: string): number {
    const row = this.stmt.maxReceipt.get(corridorId) as { s: number | null };
    return row.s ?? -1;
  }

  cursor(node: string, corridorId: string): ChainHead | undefined {
    const row = this.stmt.cursor.get(node, corridorId) as
      | { sequence: number; next_root: string | null; mmr_size: number; mmr_root: string; mmr_peaks: string }
      | undefined;
    if (!row) return undefined;
    return { sequence: row.sequence, nextRoot: row.next_root, mmrSize: row.mmr_size, mmrRoot: row.mmr_root, mmrPeaks: JSON.parse(row.mmr_peaks) as MmrPeak[] };
  }

  // ---- attestations ----

  lastAttestation(corridorId: string): StoredAttestation | undefined {
    return this.stmt.lastAttestation.get(corridorId) as StoredAttestation | undefined;
  }

  attestationAt(corridorId: string, size: number): StoredAttestation | undefined {
    return this.stmt.attestationAt.get(corridorId, size) as StoredAttestation | undefined;
  }

  /** Records an attestation and resets its delivery to every node, in one transaction. */
  putAttestation(a: StoredAttestation, nodes: readonly string[]): void {
    this.db.transaction(() => {
      this.stmt.putAttestation.run(a);
      for (const node of nodes) {
        this.stmt.putDelivery.run({ corridor_id: a.corridor_id, node, size: a.size, status: 'pending', detail: null, answer: null, attempts: 0, updated_at: a.created_at });
      }
    })();
  }

  /** Replaces an attestation by the same head signed again (a fresh observed_at). */
  refreshAttestation(corridorId: string, size: number, attestation: string, at: string): void {
    this.stmt.refreshAttestation.run(attestation, at, corridorId, size);
  }

  deliveries(corridorId: string): StoredDelivery[] {
    return this.stmt.deliveries.all(corridorId) as StoredDelivery[];
  }

  putDelivery(d: StoredDelivery): void {
    this.stmt.putDelivery.run(d);
  }

  // ---- alarms ----

  alarms(corridorId: string): StoredAlarm[] {
    return this.stmt.alarms.all(corridorId) as StoredAlarm[];
  }

  alarm(id: string): StoredAlarm | undefined {
    return this.stmt.alarm.get(id) as StoredAlarm | undefined;
  }

  /** Records an alarm once (false when it was already recorded) with a pending delivery to every node. */
  putAlarm(a: StoredAlarm, nodes: readonly string[]): boolean {
    return this.db.transaction(() => {
      if (this.stmt.putAlarm.run(a).changes === 0) return false;
      for (const node of nodes) this.stmt.putAlarmDelivery.run({ alarm_id: a.id, node, status: 'pending', detail: null, attempts: 0 });
      return true;
    })();
  }

  alarmDeliveries(alarmId: string): StoredAlarmDelivery[] {
    return this.stmt.alarmDeliveries.all(alarmId) as StoredAlarmDelivery[];
  }

  putAlarmDelivery(d: StoredAlarmDelivery): void {
    this.stmt.putAlarmDelivery.run(d);
  }

  close(): void {
    this.flush();
    this.db.close();
  }
}
