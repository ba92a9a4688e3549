import Database from 'better-sqlite3';
import { applyCommitPlan, commitPlan, CommitThread, type CommitOutcome } from './sqlite-commit';
import {
  positionFromText,
  ProjectionConflictError,
  ProjectionStoreError,
  requireGeneration,
  requireName,
  validateBatch,
  type Checkpoint,
  type CommitBatch,
  type Doc,
  type GenerationReader,
  type ProjectionGenerations,
  type ProjectionStore,
} from './port';

export interface SqliteProjectionStoreConfig {
  /** Database file; `:memory:` keeps everything in this process (tests). */
  readonly path: string;
  /** How long a write waits for another connection's lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Open an existing file for reading only (an API replica next to the writing node). */
  readonly readonly?: boolean;
  /** SQLite page cache of this connection, in MiB (default 64); the commit thread's connection has one as big. */
  readonly cacheMiB?: number;
  /**
   * Run commits on a thread of their own, with its own connection (a file database only; default: no), so the
   * event loop — the projection runner folding the next batch — goes on during a commit's transaction. It pays
   * off only with a core to spare: on the shared 2-vCPU development machine it was no faster (spec/projections.md
   * §8), and it costs a second page cache.
   */
  readonly commitThread?: boolean;
}

/** Keys per `IN (…)` lookup of getMany. */
const GET_IN = 64;

/**
 * The least string greater than every string starting with `prefix` (in UTF-8 byte order, SQLite's BINARY), when
 * simple: the prefix with its last character incremented; undefined when that character is a surrogate or the
 * last one of its range.
 */
function prefixEnd(prefix: string): string | undefined {
  if (prefix.length === 0) return undefined;
  const last = prefix.charCodeAt(prefix.length - 1);
  if (last >= 0xd7ff) return undefined;
  return prefix.slice(0, -1) + String.fromCharCode(last + 1);
}

interface GenerationStatements {
  prefix: string;
  metaAll: Database.Statement;
  metaUpsert: Database.Statement;
  streamGet: Database.Statement;
  streamAll: Database.Statement;
  streamUpsert: Database.Statement;
  docGet: Database.Statement;
  /** `key IN (…)` lookups, by key count (prepared on first use). */
  docGetIn: Map<number, Database.Statement>;
  docRange: Database.Statement;
  docFrom: Database.Statement;
  docUpsert: Database.Statement;
  docDelete: Database.Statement;
  docAll: Database.Statement;
  docCount: Database.Statement;
  idxInsert: Database.Statement;
  idxDelete: Database.Statement;
  idxKeys: Database.Statement;
  idxKeysAfter: Database.Statement;
  idxCount: Database.Statement;
}

const CATALOG = `
CREATE TABLE IF NOT EXISTS projection_generations (
  projection TEXT    NOT NULL,
  generation INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (projection, generation)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS projection_sequences (
  projection     TEXT    PRIMARY KEY,
  max_generation INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS projection_active (
  projection TEXT    PRIMARY KEY,
  generation INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** Table-name prefix of a generation: `pg_<projection>_<generation>`. */
export function sqliteTablePrefix(projection: string, generation: number): string {
  return `pg_${requireName(projection, 'projection')}_${requireGeneration(generation)}`;
}

/**
 * The embedded projection store: one SQLite file (WAL) holding every projection's generations as tables
 * `pg_<projection>_<generation>_{meta,streams,docs,idx}` (spec/projections.md §4.1). `synchronous = NORMAL`: a
 * power loss may undo the last commits, never tear one, and the checkpoint is undone with them, so the
 * projection simply folds those events again.
 */
export class SqliteProjectionStore implements ProjectionStore {
  readonly backend = 'sqlite' as const;
  /** The commit runs its transaction synchronously, or hands copied rows to its thread, before returning. */
  readonly copiesBatchOnCommit = true;
  readonly db: Database.Database;
  private readonly statements = new Map<string, GenerationStatements>();
  /** Statements of commits run on this connection (no commit thread). */
  private readonly planStatements = new Map<string, Database.Statement>();
  /** Runs the commits of a file database (created with the first commit). */
  private threadState: CommitThread | undefined;
  private readonly threadOptions: { path: string; busyTimeoutMs: number; cacheKiB: number } | undefined;
  private closed = false;
  private readonly readonly: boolean;

  private constructor(config: SqliteProjectionStoreConfig) {
    this.readonly = config.readonly ?? false;
    this.db = new Database(config.path, { timeout: config.busyTimeoutMs ?? 5000, readonly: config.readonly ?? false, fileMustExist: config.readonly ?? false });
    if (!config.readonly) {
      // 16 KiB pages: read-model rows are JSON documents of a few hundred bytes, and bigger pages mean fewer
      // B-tree splits on their random keys (only takes effect when the file is created).
      this.db.pragma('page_size = 16384');
      if (config.path !== ':memory:') {
        const mode = this.db.pragma('journal_mode = WAL', { simple: true });
        if (String(mode).toLowerCase() !== 'wal') throw new ProjectionStoreError(`could not switch ${config.path} to WAL (journal_mode is ${String(mode)})`);
      }
      this.db.pragma('synchronous = NORMAL');
      // Read models are written in big batches of random keys: a larger page cache keeps B-tree pages in memory.
      const cacheKiB = Math.round((config.cacheMiB ?? 64) * 1024);
      if (!Number.isSafeInteger(cacheKiB) || cacheKiB < 1) throw new TypeError(`cacheMiB must be positive, got ${config.cacheMiB}`);
      this.db.pragma(`cache_size = -${cacheKiB}`);
      this.db.exec(CATALOG);
      if (config.path !== ':memory:' && config.commitThread === true) this.threadOptions = { path: config.path, busyTimeoutMs: config.busyTimeoutMs ?? 5000, cacheKiB };
    }
  }

  /** The commit thread, started on first use. */
  private get thread(): CommitThread | undefined {
    if (this.threadOptions && !this.threadState) this.threadState = new CommitThread(this.threadOptions);
    return this.threadState;
  }

  /** Waits for the commits handed to the commit thread (before changing the catalog or the schema). */
  private async drainCommits(): Promise<void> {
    await this.threadState?.drain();
  }

  static open(config: SqliteProjectionStoreConfig): SqliteProjectionStore {
    return new SqliteProjectionStore(config);
  }

  async generations(projection: string): Promise<ProjectionGenerations> {
    this.assertOpen();
    requireName(projection, 'projection');
    return this.generationsSync(projection);
  }

  private catalog: { active: Database.Statement; all: Database.Statement } | undefined;

  private generationsSync(projection: string): ProjectionGenerations {
    // Prepared once: every query reads the active generation twice (spec/projections.md §4.3).
    this.catalog ??= {
      active: this.db.prepare('SELECT generation FROM projection_active WHERE projection = ?').pluck(),
      all: this.db.prepare('SELECT generation FROM projection_generations WHERE projection = ? ORDER BY generation').pluck(),
    };
    const active = this.catalog.active.get(projection) as number | undefined;
    const all = this.catalog.all.all(projection) as number[];
    return { active, all };
  }

  async createGeneration(projection: string): Promise<number> {
    this.assertWritable();
    requireName(projection, 'projection');
    await this.drainCommits();
    return this.db.transaction(() => {
      // Numbers are never reused, even after a drop: readers tell generations apart by number.
      const max = this.db.prepare('SELECT max_generation FROM projection_sequences WHERE projection = ?').pluck().get(projection) as number | undefined;
      const generation = (max ?? 0) + 1;
      this.db
        .prepare('INSERT INTO projection_sequences (projection, max_generation) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET max_generation = excluded.max_generation')
        .run(projection, generation);
      const p = sqliteTablePrefix(projection, generation);
      this.db.exec(`
        CREATE TABLE ${p}_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE ${p}_streams (stream TEXT PRIMARY KEY, sequence INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE ${p}_docs (collection TEXT NOT NULL, key TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (collection, key)) WITHOUT ROWID;
        CREATE TABLE ${p}_idx (collection TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, key TEXT NOT NULL,
                               PRIMARY KEY (collection, field, value, key)) WITHOUT ROWID;`);
      this.db.prepare('INSERT INTO projection_generations (projection, generation, created_at) VALUES (?, ?, ?)').run(projection, generation, Date.now());
      return generation;
    }).immediate();
  }

  async activate(projection: string, generation: number, expected: number | undefined): Promise<void> {
    this.assertWritable();
    requireName(projection, 'projection');
    requireGeneration(generation);
    await this.drainCommits();
    this.db.transaction(() => {
      const g = this.generationsSync(projection);
      if (g.active !== expected) throw new ProjectionConflictError(`${projection}: active generation is ${g.active ?? 'none'}, not ${expected ?? 'none'}`);
      if (!g.all.includes(generation)) throw new ProjectionStoreError(`${projection}: generation ${generation} does not exist`);
      this.db
        .prepare('INSERT INTO projection_active (projection, generation) VALUES (?, ?) ON CONFLICT (projection) DO UPDATE SET generation = excluded.generation')
        .run(projection, generation);
    }).immediate();
  }

  async dropGeneration(projection: string, generation: number): Promise<void> {
    this.assertWritable();
    requireName(projection, 'projection');
    requireGeneration(generation);
    await this.drainCommits();
    this.db.transaction(() => {
      const g = this.generationsSync(projection);
      if (g.active === generation) throw new ProjectionStoreError(`${projection}: generation ${generation} is active and cannot be dropped`);
      if (!g.all.includes(generation)) return;
      const p = sqliteTablePrefix(projection, generation);
      this.statements.delete(p);
      for (const sql of [...this.planStatements.keys()]) if (sql.includes(`${p}_`)) this.planStatements.delete(sql);
      this.threadState?.forget(p);
      for (const t of ['meta', 'streams', 'docs', 'idx']) this.db.exec(`DROP TABLE IF EXISTS ${p}_${t}`);
      this.db.prepare('DELETE FROM projection_generations WHERE projection = ? AND generation = ?').run(projection, generation);
    }).immediate();
  }

  private stmts(projection: string, generation: number): GenerationStatements {
    const p = sqliteTablePrefix(projection, generation);
    let s = this.statements.get(p);
    if (s) return s;
    const exists = this.db.prepare('SELECT 1 FROM projection_generations WHERE projection = ? AND generation = ?').get(projection, generation);
    if (!exists) throw new ProjectionStoreError(`${projection}: generation ${generation} does not exist`);
    const db = this.db;
    s = {
      prefix: p,
      metaAll: db.prepare(`SELECT key, value FROM ${p}_meta`),
      metaUpsert: db.prepare(`INSERT INTO ${p}_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
      streamGet: db.prepare(`SELECT sequence FROM ${p}_streams WHERE stream = ?`).pluck(),
      streamAll: db.prepare(`SELECT stream, sequence FROM ${p}_streams`),
      streamUpsert: db.prepare(`INSERT INTO ${p}_streams (stream, sequence) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET sequence = excluded.sequence`),
      docGet: db.prepare(`SELECT doc FROM ${p}_docs WHERE collection = ? AND key = ?`).pluck(),
      docGetIn: new Map(),
      docRange: db.prepare(`SELECT key, doc FROM ${p}_docs WHERE collection = ? AND key >= ? AND key < ? ORDER BY key`),
      docFrom: db.prepare(`SELECT key, doc FROM ${p}_docs WHERE collection = ? AND key >= ? ORDER BY key`),
      docUpsert: db.prepare(`INSERT INTO ${p}_docs (collection, key, doc) VALUES (?, ?, ?) ON CONFLICT (collection, key) DO UPDATE SET doc = excluded.doc`),
      docDelete: db.prepare(`DELETE FROM ${p}_docs WHERE collection = ? AND key = ?`),
      docAll: db.prepare(`SELECT key, doc FROM ${p}_docs WHERE collection = ?`),
      docCount: db.prepare(`SELECT COUNT(*) FROM ${p}_docs WHERE collection = ?`).pluck(),
      idxInsert: db.prepare(`INSERT OR IGNORE INTO ${p}_idx (collection, field, value, key) VALUES (?, ?, ?, ?)`),
      idxDelete: db.prepare(`DELETE FROM ${p}_idx WHERE collection = ? AND field = ? AND value = ? AND key = ?`),
      idxKeys: db.prepare(`SELECT key FROM ${p}_idx WHERE collection = ? AND field = ? AND value = ? ORDER BY key LIMIT ?`).pluck(),
      idxKeysAfter: db.prepare(`SELECT key FROM ${p}_idx WHERE collection = ? AND field = ? AND value = ? AND key > ? ORDER BY key LIMIT ?`).pluck(),
      idxCount: db.prepare(`SELECT COUNT(*) FROM ${p}_idx WHERE collection = ? AND field = ? AND value = ?`).pluck(),
    };
    this.statements.set(p, s);
    return s;
  }

  private checkpointSync(s: GenerationStatements): Checkpoint {
    const meta: Record<string, string> = {};
    let position: string | undefined;
    let events = 0;
    for (const row of s.metaAll.all() as { key: string; value: string }[]) {
      if (row.key === 'position') position = row.value;
      else if (row.key === 'events') events = Number(row.value);
      else meta[row.key] = row.value;
    }
    return { position: positionFromText(position), events, meta };
  }

  reader(projection: string, generation: number): GenerationReader {
    requireName(projection, 'projection');
    requireGeneration(generation);
    const s = () => {
      this.assertOpen();
      return this.stmts(projection, generation);
    };
    return {
      projection,
      generation,
      checkpoint: async () => this.checkpointSync(s()),
      streamSequence: async (stream) => (s().streamGet.get(stream) as number | undefined) ?? undefined,
      streamSequences: async (streams) => {
        const st = s();
        return streams.map((x) => (st.streamGet.get(x) as number | undefined) ?? undefined);
      },
      streams: async () => new Map((s().streamAll.all() as { stream: string; sequence: number }[]).map((r) => [r.stream, r.sequence])),
      get: async (collection, key) => {
        const text = s().docGet.get(collection, key) as string | undefined;
        return text === undefined ? undefined : (JSON.parse(text) as Doc);
      },
      getMany: async (collection, keys) => {
        const st = s();
        const texts = new Map<string, string>();
        // One statement per GET_IN keys instead of one per key.
        for (let i = 0; i < keys.length; i += GET_IN) {
          const part = keys.length <= GET_IN ? keys : keys.slice(i, i + GET_IN);
          let stmt = st.docGetIn.get(part.length);
          if (!stmt) st.docGetIn.set(part.length, (stmt = this.db.prepare(`SELECT key, doc FROM ${st.prefix}_docs WHERE collection = ? AND key IN (${Array.from(part, () => '?').join(', ')})`)));
          for (const row of stmt.all(collection, ...part) as { key: string; doc: string }[]) texts.set(row.key, row.doc);
        }
        return keys.map((k) => {
          const text = texts.get(k);
          return text === undefined ? undefined : (JSON.parse(text) as Doc);
        });
      },
      entriesWithPrefix: async (collection, prefix) => {
        const st = s();
        const end = prefixEnd(prefix);
        if (end !== undefined) return (st.docRange.all(collection, prefix, end) as { key: string; doc: string }[]).map((r) => [r.key, JSON.parse(r.doc) as Doc]);
        // No simple upper bound: read on from the prefix and stop at the first key without it (keys with a common
        // prefix are contiguous in byte order).
        const out: [string, Doc][] = [];
        for (const r of st.docFrom.iterate(collection, prefix) as IterableIterator<{ key: string; doc: string }>) {
          if (!r.key.startsWith(prefix)) break;
          out.push([r.key, JSON.parse(r.doc) as Doc]);
        }
        return out;
      },
      keysBy: async (collection, field, value, options = {}) => {
        const st = s();
        const limit = options.limit ?? -1;
        return (options.after === undefined ? st.idxKeys.all(collection, field, value, limit) : st.idxKeysAfter.all(collection, field, value, options.after, limit)) as string[];
      },
      countBy: async (collection, field, value) => s().idxCount.get(collection, field, value) as number,
      entries: async (collection) => (s().docAll.all(collection) as { key: string; doc: string }[]).map((r) => [r.key, JSON.parse(r.doc) as Doc]),
      count: async (collection) => s().docCount.get(collection) as number,
    };
  }

  async commit(projection: string, generation: number, batch: CommitBatch): Promise<void> {
    this.assertWritable();
    requireName(projection, 'projection');
    validateBatch(batch);
    const s = this.stmts(projection, generation);
    // The rows are built here, synchronously (documents serialized, in key order): the caller may change the
    // batch's documents once this returns (copiesBatchOnCommit). The transaction runs on the commit thread
    // (file databases) or right here.
    const plan = commitPlan(batch);
    let outcome: CommitOutcome;
    if (this.thread) {
      try {
        outcome = await this.thread.commit(s.prefix, plan);
      } catch (e) {
        throw new ProjectionStoreError(`${projection} generation ${generation}: the commit failed: ${(e as Error).message}`, { cause: e });
      }
    } else outcome = applyCommitPlan(this.db, this.planStatements, s.prefix, plan);
    if (!outcome.ok) {
      throw new ProjectionConflictError(
        `${projection} generation ${generation}: checkpoint is ${outcome.current || 'empty'}, the batch continues from ${plan.expected || 'empty'}`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.threadState?.close();
    this.statements.clear();
    this.planStatements.clear();
    this.db.close();
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readonly) throw new ProjectionStoreError('this projection store is open read-only (a replica)');
  }

  private assertOpen(): void {
    if (this.closed) throw new ProjectionStoreError('the projection store is closed');
  }
}
