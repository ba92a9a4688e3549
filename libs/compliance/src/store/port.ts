import { comparePositions, formatPosition, parsePosition, type GlobalPosition } from '@corridor/ledger';

/**
 * The projection-store port: where read models live, shared by every projection. Two adapters implement it,
 * SQLite (embedded default) and Redis (several API replicas read one Redis); one contract suite proves both.
 *
 * Model: each projection owns numbered *generations*; one is *active* (served to readers). A generation holds
 * - documents: plain JSON values in named collections, addressed by string keys;
 * - indexes: per collection and field, the keys whose document has a given value (ordered by key);
 * - stream heads: for every stream folded, the last sequence (MMR leaf index) folded;
 * - a checkpoint: the global log position of the last event folded, the number of events folded, and
 *   projection-specific metadata (e.g. the tensor commitment).
 * Everything a batch changes, checkpoint included, is committed atomically (one SQLite transaction, one Redis
 * MULTI/EXEC), and only if the stored checkpoint is still the one the writer started from (fencing).
 */

/** A stored document: plain JSON (no bigint, no undefined). */
export type Doc = null | boolean | number | string | Doc[] | { [key: string]: Doc };

/** Index values of a document, by field; each field may hold several values. */
export type IndexValues = Readonly<Record<string, readonly string[]>>;

export interface Checkpoint {
  /** Global position of the last event folded; undefined before the first. */
  readonly position: GlobalPosition | undefined;
  /** Number of events folded (gap-checked) into this generation. */
  readonly events: number;
  /** Projection-specific metadata committed with the checkpoint. */
  readonly meta: Readonly<Record<string, string>>;
}

export interface DocWrite {
  readonly collection: string;
  readonly key: string;
  /** The new document; undefined deletes the key. */
  readonly doc: Doc | undefined;
  /** A JSON text of `doc` the writer already had (parses to `doc`); adapters store it instead of serializing `doc`. */
  readonly json?: string;
  /** Index values of the new document (ignored for a delete). */
  readonly index: IndexValues;
  /** Index values of the document this write replaces; undefined when the key did not exist. */
  readonly previousIndex: IndexValues | undefined;
}

export interface CommitBatch {
  /** The checkpoint position this batch continues from: the commit fails unless it is still the stored one. */
  readonly expected: GlobalPosition | undefined;
  readonly position: GlobalPosition;
  readonly events: number;
  /** New last sequence of every stream the batch advanced. */
  readonly streams: ReadonlyMap<string, number>;
  readonly writes: readonly DocWrite[];
  /** Metadata entries to set (others are kept). */
  readonly meta: Readonly<Record<string, string>>;
}

/** Read access to one generation. Methods see committed data only. */
export interface GenerationReader {
  readonly projection: string;
  readonly generation: number;
  checkpoint(): Promise<Checkpoint>;
  streamSequence(stream: string): Promise<number | undefined>;
  streamSequences(streams: readonly string[]): Promise<(number | undefined)[]>;
  /** Every stream head (for status pages and tests). */
  streams(): Promise<Map<string, number>>;
  get(collection: string, key: string): Promise<Doc | undefined>;
  getMany(collection: string, keys: readonly string[]): Promise<(Doc | undefined)[]>;
  /**
   * Every document whose key starts with `prefix`, in key order (byte order of UTF-8). Optional: adapters that
   * keep documents in key order offer it (SQLite: one range read instead of a lookup per key); callers fall back
   * to `getMany`.
   */
  entriesWithPrefix?(collection: string, prefix: string): Promise<[string, Doc][]>;
  /** Keys whose document has `value` in index `field`, in ascending key order, after `after`, at most `limit`. */
  keysBy(collection: string, field: string, value: string, options?: { after?: string; limit?: number }): Promise<string[]>;
  /** Number of keys under an index value. */
  countBy(collection: string, field: string, value: string): Promise<number>;
  /** Every document of a collection (order unspecified). Meant for small collections and for loading. */
  entries(collection: string): Promise<[string, Doc][]>;
  count(collection: string): Promise<number>;
}

export interface ProjectionGenerations {
  readonly active: number | undefined;
  /** Every generation that exists, ascending. */
  readonly all: readonly number[];
}

export interface ProjectionStore {
  readonly backend: 'sqlite' | 'redis';
  /**
   * `commit` takes everything it needs from the batch before it returns its promise (documents are serialized
   * then), so the caller may change the batch's documents while the commit completes — the projection runner
   * then folds the next batch meanwhile. Stores without it are awaited before anything changes.
   */
  readonly copiesBatchOnCommit?: boolean;
  generations(projection: string): Promise<ProjectionGenerations>;
  /** Creates a new, empty generation (numbered after every existing one) and returns its number. */
  createGeneration(projection: string): Promise<number>;
  /**
   * Makes `generation` the active one, atomically for readers, if the active generation is still `expected`
   * (undefined: none). Throws `ProjectionConflictError` otherwise.
   */
  activate(projection: string, generation: number, expected: number | undefined): Promise<void>;
  /** Deletes a generation that is not active. */
  dropGeneration(projection: string, generation: number): Promise<void>;
  reader(projection: string, generation: number): GenerationReader;
  /** Commits a batch into a generation, atomically, fenced on `batch.expected`. */
  commit(projection: string, generation: number, batch: CommitBatch): Promise<void>;
  close(): Promise<void>;
}

export class ProjectionStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProjectionStoreError';
  }
}

/** Another writer moved the checkpoint (or the active generation) since this writer read it. */
export class ProjectionConflictError extends ProjectionStoreError {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectionConflictError';
  }
}

const NAME = /^[a-z][a-z0-9_]{0,62}$/;

/** Projection and collection names are identifiers (they become table names and key parts). */
export function requireName(name: string, what: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new TypeError(`${what} must match ${NAME}, got ${JSON.stringify(name)}`);
  return name;
}

export function requireGeneration(generation: number): number {
  if (!Number.isSafeInteger(generation) || generation < 1) throw new TypeError(`a generation is an integer ≥ 1, got ${generation}`);
  return generation;
}

export function samePosition(a: GlobalPosition | undefined, b: GlobalPosition | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return comparePositions(a, b) === 0;
}

export function positionText(p: GlobalPosition | undefined): string {
  return p === undefined ? '' : formatPosition(p);
}

export function positionFromText(text: string | undefined | null): GlobalPosition | undefined {
  return text === undefined || text === null || text === '' ? undefined : parsePosition(text);
}

/** The index entries a write removes and adds (values unchanged between the two are left alone). */
export function indexDiff(previous: IndexValues | undefined, next: IndexValues | undefined): { removed: [string, string][]; added: [string, string][] } {
  const removed: [string, string][] = [];
  const added: [string, string][] = [];
  if (previous === undefined || next === undefined) {
    // A new or deleted document: every value is added or removed (each once).
    const [values, out] = previous === undefined ? [next, added] : [previous, removed];
    if (values !== undefined) for (const field of Object.keys(values)) for (const v of distinct(values[field]!)) out.push([field, v]);
    return { removed, added };
  }
  for (const field of Object.keys(previous)) {
    const after = membership(next[field]);
    for (const v of distinct(previous[field]!)) if (!after(v)) removed.push([field, v]);
  }
  for (const field of Object.keys(next)) {
    const before = membership(previous[field]);
    for (const v of distinct(next[field]!)) if (!before(v)) added.push([field, v]);
  }
  return { removed, added };
}

const NONE = (): boolean => false;

/** Membership test of a list of index values: a loop over a short list, a set for a long one. */
function membership(list: readonly string[] | undefined): (v: string) => boolean {
  if (list === undefined || list.length === 0) return NONE;
  if (list.length > 16) {
    const set = new Set(list);
    return (v) => set.has(v);
  }
  return (v) => {
    for (let i = 0; i < list.length; i++) if (list[i] === v) return true;
    return false;
  };
}

/** The list without repeated values (the list itself when it has none, the common case). */
function distinct(list: readonly string[]): readonly string[] {
  if (list.length <= 1) return list;
  if (list.length <= 16) {
    for (let i = 1; i < list.length; i++) for (let j = 0; j < i; j++) if (list[i] === list[j]) return [...new Set(list)];
    return list;
  }
  const s = new Set(list);
  return s.size === list.length ? list : [...s];
}

/** One key's net effect in a batch: its final document and index values, and the index values it started from. */
export interface NetWrite {
  readonly collection: string;
  readonly key: string;
  readonly doc: Doc | undefined;
  readonly removed: [string, string][];
  readonly added: [string, string][];
}

/**
 * Reduces a batch's writes to one per key (the last write wins; index changes are taken between the index values
 * before the first write and after the last), so adapters can group their storage operations freely.
 */
export function netWrites(writes: readonly DocWrite[]): NetWrite[] {
  const byCollection = new Map<string, Map<string, { first: DocWrite; last: DocWrite }>>();
  for (const w of writes) {
    let byKey = byCollection.get(w.collection);
    if (!byKey) byCollection.set(w.collection, (byKey = new Map()));
    const e = byKey.get(w.key);
    if (e) e.last = w;
    else byKey.set(w.key, { first: w, last: w });
  }
  const out: NetWrite[] = [];
  for (const byKey of byCollection.values()) {
    for (const { first, last } of byKey.values()) {
      const { removed, added } = indexDiff(first.previousIndex, last.doc === undefined ? undefined : last.index);
      out.push({ collection: last.collection, key: last.key, doc: last.doc, removed, added });
    }
  }
  return out;
}

/** What `forEachNetWrite` reports: per key its final document, then the index entries it removes and adds. */
export interface NetWriteVisitor {
  /** `json`: the write's JSON text of `doc`, when it came with one. */
  doc(collection: string, key: string, doc: Doc | undefined, json: string | undefined): void;
  indexRemoved(collection: string, key: string, field: string, value: string): void;
  indexAdded(collection: string, key: string, field: string, value: string): void;
}

/**
 * `netWrites` without building the list: visits each key's net effect (the same as `netWrites` gives), grouped by
 * collection. Adapters use it to turn a batch into storage operations with no intermediate objects per write.
 */
export function forEachNetWrite(writes: readonly DocWrite[], visit: NetWriteVisitor): void {
  // Per collection: key → position of its first write; `lastOf` maps a first write to the last one of its key
  // (only keys written more than once are in it).
  const firstOf = new Map<string, Map<string, number>>();
  let lastOf: Map<number, number> | undefined;
  for (let i = 0; i < writes.length; i++) {
    const w = writes[i]!;
    let m = firstOf.get(w.collection);
    if (!m) firstOf.set(w.collection, (m = new Map()));
    const first = m.get(w.key);
    if (first === undefined) m.set(w.key, i);
    else (lastOf ??= new Map()).set(first, i);
  }
  for (const [collection, m] of firstOf) {
    for (const [key, first] of m) {
      const last = writes[lastOf?.get(first) ?? first]!;
      visit.doc(collection, key, last.doc, last.doc === undefined ? undefined : last.json);
      const previous = writes[first]!.previousIndex;
      const next = last.doc === undefined ? undefined : last.index;
      if (previous !== undefined) {
        for (const field of Object.keys(previous)) {
          const after = next === undefined ? NONE : membership(next[field]);
          for (const v of distinct(previous[field]!)) if (!after(v)) visit.indexRemoved(collection, key, field, v);
        }
      }
      if (next !== undefined) {
        for (const field of Object.keys(next)) {
          const before = previous === undefined ? NONE : membership(previous[field]);
          for (const v of distinct(next[field]!)) if (!before(v)) visit.indexAdded(collection, key, field, v);
        }
      }
    }
  }
}

/** Checks a batch before any adapter touches storage. */
export function validateBatch(batch: CommitBatch): void {
  if (batch.expected !== undefined && comparePositions(batch.position, batch.expected) <= 0) {
    throw new ProjectionStoreError(`a batch must move the checkpoint forward: ${positionText(batch.expected)} → ${positionText(batch.position)}`);
  }
  if (!Number.isSafeInteger(batch.events) || batch.events < 0) throw new ProjectionStoreError(`events must be a count, got ${batch.events}`);
  for (const [stream, seq] of batch.streams) {
    if (typeof stream !== 'string' || stream.length === 0) throw new ProjectionStoreError('stream names are non-empty strings');
    if (!Number.isSafeInteger(seq) || seq < 0) throw new ProjectionStoreError(`stream ${stream}: sequence must be an integer ≥ 0, got ${seq}`);
  }
  for (const w of batch.writes) {
    requireName(w.collection, 'collection');
    if (typeof w.key !== 'string' || w.key.length === 0) throw new ProjectionStoreError(`document keys are non-empty strings (collection ${w.collection})`);
    for (const field of Object.keys(w.index)) requireName(field, 'index field');
  }
  for (const k of Object.keys(batch.meta)) {
    if (k === 'position' || k === 'events') throw new ProjectionStoreError(`meta key ${k} is reserved`);
  }
}
