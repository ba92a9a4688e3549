import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { forEachNetWrite, positionText, type CommitBatch } from './port';

/**
 * A batch as rows, ready for SQLite: everything a commit writes, computed on the caller's thread (documents
 * serialized, rows in key order), so the transaction itself can run on the commit thread.
 */
export interface CommitPlan {
  /** The checkpoint position the batch continues from, as stored (`''` for none). */
  readonly expected: string;
  /** `collection, key` pairs. */
  readonly docDeletes: string[];
  /** `collection, field, value, key` quadruples. */
  readonly idxDeletes: string[];
  /** `collection, key, JSON text` triples, in (collection, key) order. */
  readonly docUpserts: string[];
  /** `collection, field, value, key` quadruples, in that order. */
  readonly idxInserts: string[];
  /** `stream, sequence` pairs, in stream order. */
  readonly streams: (string | number)[];
  /** `key, value` pairs of the meta table: the batch's metadata, then position and event count. */
  readonly meta: string[];
}

/** What applying a plan found: committed, or the stored checkpoint was not the expected one. */
export type CommitOutcome = { readonly ok: true } | { readonly ok: false; readonly current: string };

/**
 * The rows of a batch. Rows go in key order: consecutive statements then touch neighbouring B-tree pages, which
 * are in the page cache, instead of a random page each (a batch of random keys would otherwise read and dirty a
 * page per row once the tables outgrow the cache). The order changes nothing else: each key has one net write.
 *
 * Sorting uses the default string sort (UTF-16 code-unit order, which differs from SQLite's byte order only
 * above U+D7FF, irrelevant for locality) on plain string arrays: several times faster than a comparator over row
 * objects. Index rows are grouped by collection, field and value, so only the distinct values and each value's
 * keys are sorted.
 */
export function commitPlan(batch: CommitBatch): CommitPlan {
  const docDeletes: string[] = [];
  /** collection → key → JSON text */
  const upserts = new Map<string, Map<string, string>>();
  /** collection → field → value → keys */
  type Groups = Map<string, Map<string, Map<string, string[]>>>;
  const removed: Groups = new Map();
  const added: Groups = new Map();
  const row = (groups: Groups, c: string, f: string, v: string, k: string): void => {
    let byField = groups.get(c);
    if (!byField) groups.set(c, (byField = new Map()));
    let byValue = byField.get(f);
    if (!byValue) byField.set(f, (byValue = new Map()));
    const keys = byValue.get(v);
    if (keys) keys.push(k);
    else byValue.set(v, [k]);
  };
  forEachNetWrite(batch.writes, {
    doc: (collection, key, doc, json) => {
      if (doc === undefined) docDeletes.push(collection, key);
      else {
        let m = upserts.get(collection);
        if (!m) upserts.set(collection, (m = new Map()));
        m.set(key, json ?? JSON.stringify(doc));
      }
    },
    indexRemoved: (collection, key, field, value) => row(removed, collection, field, value, key),
    indexAdded: (collection, key, field, value) => row(added, collection, field, value, key),
  });
  const flatten = (groups: Groups): string[] => {
    const out: string[] = [];
    for (const c of [...groups.keys()].sort()) {
      const byField = groups.get(c)!;
      for (const f of [...byField.keys()].sort()) {
        const byValue = byField.get(f)!;
        for (const v of [...byValue.keys()].sort()) {
          const keys = byValue.get(v)!;
          if (keys.length > 1) keys.sort();
          for (const k of keys) out.push(c, f, v, k);
        }
      }
    }
    return out;
  };
  const docUpserts: string[] = [];
  for (const c of [...upserts.keys()].sort()) {
    const m = upserts.get(c)!;
    for (const k of [...m.keys()].sort()) docUpserts.push(c, k, m.get(k)!);
  }
  const streams: (string | number)[] = [];
  for (const stream of [...batch.streams.keys()].sort()) streams.push(stream, batch.streams.get(stream)!);
  const meta: string[] = [];
  for (const [k, v] of Object.entries(batch.meta)) meta.push(k, v);
  meta.push('position', positionText(batch.position), 'events', String(batch.events));
  return { expected: positionText(batch.expected), docDeletes, idxDeletes: flatten(removed), docUpserts, idxInserts: flatten(added), streams, meta };
}

/**
 * Applies a plan to the tables `<prefix>_{meta,streams,docs,idx}` in one IMMEDIATE transaction, fenced on the
 * stored position. Self-contained (no imports, no outer variables): the commit thread runs its source text.
 * `statements` caches prepared statements by SQL text.
 */
export function applyCommitPlan(db: Database.Database, statements: Map<string, Database.Statement>, prefix: string, plan: CommitPlan): CommitOutcome {
  const CHUNK = 256;
  const prepared = (sql: string): Database.Statement => {
    let stmt = statements.get(sql);
    if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
    return stmt;
  };
  const values = (n: number, width: number): string => {
    const one = '(' + new Array(width).fill('?').join(', ') + ')';
    return new Array(n).fill(one).join(', ');
  };
  const many = (params: readonly unknown[], width: number, sql: (rows: string) => string): void => {
    const total = params.length / width;
    for (let done = 0; done < total; done += CHUNK) {
      const n = Math.min(CHUNK, total - done);
      prepared(sql(values(n, width))).run(...params.slice(done * width, (done + n) * width));
    }
  };
  const run = db.transaction((): CommitOutcome => {
    const stored = prepared(`SELECT value FROM ${prefix}_meta WHERE key = 'position'`).pluck().get() as string | undefined;
    const current = stored ?? '';
    if (current !== plan.expected) return { ok: false, current };
    const docDelete = prepared(`DELETE FROM ${prefix}_docs WHERE collection = ? AND key = ?`);
    for (let i = 0; i < plan.docDeletes.length; i += 2) docDelete.run(plan.docDeletes[i], plan.docDeletes[i + 1]);
    const idxDelete = prepared(`DELETE FROM ${prefix}_idx WHERE collection = ? AND field = ? AND value = ? AND key = ?`);
    for (let i = 0; i < plan.idxDeletes.length; i += 4) idxDelete.run(plan.idxDeletes[i], plan.idxDeletes[i + 1], plan.idxDeletes[i + 2], plan.idxDeletes[i + 3]);
    many(plan.docUpserts, 3, (rows) => `INSERT INTO ${prefix}_docs (collection, key, doc) VALUES ${rows} ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc`);
    many(plan.idxInserts, 4, (rows) => `INSERT OR IGNORE INTO ${prefix}_idx (collection, field, value, key) VALUES ${rows}`);
    many(plan.streams, 2, (rows) => `INSERT INTO ${prefix}_streams (stream, sequence) VALUES ${rows} ON CONFLICT (stream) DO UPDATE SET sequence = excluded.sequence`);
    many(plan.meta, 2, (rows) => `INSERT INTO ${prefix}_meta (key, value) VALUES ${rows} ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
    return { ok: true };
  });
  return run.immediate();
}

export interface CommitThreadOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
  readonly cacheKiB: number;
}

/**
 * The commit thread of a file-backed SQLite projection store: its own connection runs the commits' transactions
 * while the event loop goes on (the projection runner folds the next batch meanwhile). Commits run one at a
 * time, in the order they were handed over.
 */
export class CommitThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (o: CommitOutcome) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private failure: Error | undefined;
  private closed: Promise<void> | undefined;
  /** The last commit handed over (settled either way): commits complete in order. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(options: CommitThreadOptions) {
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const Database = require(workerData.sqlite);
      const db = new Database(workerData.path, { timeout: workerData.busyTimeoutMs });
      db.pragma('synchronous = NORMAL');
      db.pragma('cache_size = -' + workerData.cacheKiB);
      const statements = new Map();
      const applyCommitPlan = ${applyCommitPlan.toString()};
      parentPort.on('message', (msg) => {
        if (msg.close) {
          db.close();
          parentPort.postMessage({ closed: true });
          return;
        }
        if (msg.forget) {
          for (const sql of [...statements.keys()]) if (sql.includes(msg.forget + '_')) statements.delete(sql);
          return;
        }
        try {
          parentPort.postMessage({ id: msg.id, outcome: applyCommitPlan(db, statements, msg.prefix, msg.plan) });
        } catch (e) {
          parentPort.postMessage({ id: msg.id, error: e instanceof Error ? (e.code ? e.code + ': ' : '') + e.message : String(e) });
        }
      });
    `;
    this.worker = new Worker(source, {
      eval: true,
      workerData: { sqlite: require.resolve('better-sqlite3'), path: options.path, busyTimeoutMs: options.busyTimeoutMs, cacheKiB: options.cacheKiB },
    });
    this.worker.unref();
    this.worker.on('message', (msg: { id?: number; outcome?: CommitOutcome; error?: string }) => {
      if (msg.id === undefined) return;
      const p = this.pending.get(msg.id);
      this.pending.delete(msg.id);
      this.settled();
      if (!p) return;
      if (msg.outcome) p.resolve(msg.outcome);
      else p.reject(new Error(msg.error ?? 'no outcome'));
    });
    const die = (e: Error) => {
      this.failure ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.settled();
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`the SQLite commit thread exited (code ${code})`)));
  }

  /** Runs a plan on the commit thread. */
  commit(prefix: string, plan: CommitPlan): Promise<CommitOutcome> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the SQLite commit thread is closed'));
    const id = this.nextId++;
    const result = new Promise<CommitOutcome>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ id, prefix, plan });
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Drops the thread's prepared statements of a generation's tables (before the tables are dropped). */
  forget(prefix: string): void {
    if (!this.failure && !this.closed) this.worker.postMessage({ forget: prefix });
  }

  /** Resolves once every commit handed over so far has completed (later ones are not waited for). */
  async drain(): Promise<void> {
    await this.tail;
  }

  private settled(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  /** Waits for the commits handed over, then closes the thread's connection and ends it. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.drain();
      if (this.failure) {
        await this.worker.terminate();
        return;
      }
      this.worker.ref();
      await new Promise<void>((resolve) => {
        this.worker.once('exit', () => resolve());
        this.worker.on('message', (msg: { closed?: boolean }) => {
          if (msg.closed) void this.worker.terminate();
        });
        this.worker.postMessage({ close: true });
      });
    })();
    return this.closed;
  }
}
