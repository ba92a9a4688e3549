import type { Doc, DocWrite, GenerationReader, IndexValues } from '../store/port';
import type { CollectionDefinition, FoldContext } from './definition';

const ABSENT = null;

/** A map per collection: lookups hash the key alone, with no `collection + key` string built per access. */
class ByCollection<V> {
  private readonly maps = new Map<string, Map<string, V>>();

  of(collection: string): Map<string, V> {
    let m = this.maps.get(collection);
    if (!m) this.maps.set(collection, (m = new Map()));
    return m;
  }

  find(collection: string): Map<string, V> | undefined {
    return this.maps.get(collection);
  }

  entries(): IterableIterator<[string, Map<string, V>]> {
    return this.maps.entries();
  }

  clear(): void {
    this.maps.clear();
  }
}

/**
 * Committed documents this writer has seen. The projection writer is the only writer of its generation
 * (commits are fenced on the checkpoint), so what it cached stays true until it commits again.
 *
 * Only collections the projection reads (`get`) are cached: documents it only writes (e.g. the tensor's cell
 * digests) would just push the documents it does read out of the cache.
 */
export class DocCache {
  private readonly entries = new ByCollection<{ doc: Doc } | null>();
  private readonly read = new Set<string>();
  private total = 0;

  constructor(private readonly capacity: number) {}

  /** `{doc}` when cached as present, `null` when cached as absent, undefined when unknown. */
  lookup(collection: string, key: string): { doc: Doc } | null | undefined {
    return this.entries.find(collection)?.get(key);
  }

  /** Marks `collection` as read by the projection: from now on its committed documents are cached. */
  reads(collection: string): void {
    this.read.add(collection);
  }

  set(collection: string, key: string, doc: Doc | undefined): void {
    const m = this.entries.of(collection);
    if (m.delete(key)) this.total--;
    m.set(key, doc === undefined ? null : { doc });
    this.total++;
  }

  /** Caches a committed write if its collection is one the projection reads (else forgets the key). */
  committed(collection: string, key: string, doc: Doc | undefined): void {
    if (this.read.has(collection)) this.set(collection, key, doc);
    else {
      const m = this.entries.find(collection);
      if (m?.delete(key)) this.total--;
    }
  }

  /** Drops the oldest entries beyond capacity (the oldest of the biggest collections first). */
  trim(): void {
    let excess = this.total - this.capacity;
    if (excess <= 0) return;
    const maps = [...this.entries.entries()].map(([, m]) => m).sort((a, b) => b.size - a.size);
    for (const m of maps) {
      for (const key of m.keys()) {
        if (excess <= 0) return;
        m.delete(key);
        this.total--;
        excess--;
      }
    }
  }

  clear(): void {
    this.entries.clear();
    this.total = 0;
  }

  get size(): number {
    return this.total;
  }
}

interface Pending {
  readonly collection: string;
  readonly key: string;
  doc: Doc | undefined;
  /** JSON text of `doc` given by the projection; dropped once `doc` is handed out (it may change in place). */
  json: string | undefined;
}

/**
 * One index field of the batch's own documents, built when `keysBy` first asks for it and then kept up to date:
 * a document that is replaced, or handed out by `get` (the fold may change it in place), is re-read at the next
 * `keysBy`.
 */
interface PendingFieldIndex {
  /** value → the batch's keys whose document has it: one key, or a set of several (most values have one key). */
  readonly byValue: Map<string, string | Set<string>>;
  /** key → its document's distinct values (none for a deleted document). */
  readonly valuesOf: Map<string, readonly string[]>;
  readonly stale: Set<string>;
}

const NO_VALUES: readonly string[] = [];

function indexAdd(byValue: Map<string, string | Set<string>>, value: string, key: string): void {
  const cur = byValue.get(value);
  if (cur === undefined) byValue.set(value, key);
  else if (typeof cur === 'string') {
    if (cur !== key) byValue.set(value, new Set([cur, key]));
  } else cur.add(key);
}

function indexRemove(byValue: Map<string, string | Set<string>>, value: string, key: string): void {
  const cur = byValue.get(value);
  if (cur === key) byValue.delete(value);
  else if (typeof cur !== 'string' && cur !== undefined) {
    cur.delete(key);
    if (cur.size === 0) byValue.delete(value);
  }
}

/**
 * A copy of the values without repeats. Always a copy: an index function may return an array of the document
 * itself, which the fold may change in place later, and the copy must keep the values as they were.
 */
function distinctValues(list: readonly string[]): readonly string[] {
  if (list.length > 32) return [...new Set(list)];
  for (let i = 1; i < list.length; i++) if (list.indexOf(list[i]!) < i) return [...new Set(list)];
  return list.slice();
}

/** Membership in a list of values: a scan of a short list, a set for a long one. */
function contains(list: readonly string[]): (v: string) => boolean {
  if (list.length > 32) {
    const set = new Set(list);
    return (v) => set.has(v);
  }
  return (v) => list.includes(v);
}

/**
 * The writes of one batch, over the committed state (cache, then store).
 *
 * Documents returned by `get` belong to the projection writer: a fold may change one and put it back. Because a
 * fold may change a committed document in place, the index values a write replaces are taken when the committed
 * document is first read, not at commit time.
 */
export class UnitOfWork implements FoldContext {
  private readonly pending = new ByCollection<Pending>();
  private count = 0;
  /** Index values of the committed version of keys of this batch, when known: values | ABSENT. */
  private readonly bases = new ByCollection<IndexValues | typeof ABSENT>();
  /** Per collection, the fields `keysBy` asked for. */
  private readonly fieldIndexes = new ByCollection<PendingFieldIndex>();

  constructor(
    private readonly reader: GenerationReader,
    private readonly cache: DocCache,
    private readonly collections: Readonly<Record<string, CollectionDefinition>>,
    /**
     * The previous batch while its commit is in flight (pipelined commits): its writes are the committed state
     * this batch builds on until the commit completes and they are in the cache and the store.
     */
    private parentBatch?: UnitOfWork,
  ) {}

  get parent(): UnitOfWork | undefined {
    return this.parentBatch;
  }

  /** The previous batch is committed: read the cache and the store again. */
  detachParent(): void {
    this.parentBatch = undefined;
  }

  /** This batch's write of a key (its `doc` is undefined for a delete), or undefined when it has none. */
  private written(collection: string, key: string): Pending | undefined {
    return this.pending.find(collection)?.get(key);
  }

  private collection(name: string): CollectionDefinition {
    const c = this.collections[name];
    if (c === undefined) throw new Error(`unknown collection ${JSON.stringify(name)}`);
    return c;
  }

  get size(): number {
    return this.count;
  }

  private async committed(collection: string, key: string): Promise<Doc | undefined> {
    const inParent = this.parentBatch?.handOut(collection, key);
    if (inParent) return inParent.doc;
    const hit = this.cache.lookup(collection, key);
    if (hit !== undefined) return hit === null ? undefined : hit.doc;
    const doc = await this.reader.get(collection, key);
    this.cache.set(collection, key, doc);
    return doc;
  }

  async get<T extends Doc = Doc>(collection: string, key: string): Promise<T | undefined> {
    const def = this.collection(collection);
    this.cache.reads(collection);
    const p = this.pending.find(collection)?.get(key);
    if (p) {
      this.changed(collection, key);
      p.json = undefined;
      return p.doc as T | undefined;
    }
    const doc = await this.committed(collection, key);
    const bases = this.bases.of(collection);
    if (!bases.has(key)) bases.set(key, this.baseOf(def, key, doc));
    return doc as T | undefined;
  }

  /** This batch's write of a key, handed to the next batch's fold (which may change the document in place). */
  private handOut(collection: string, key: string): Pending | undefined {
    const p = this.written(collection, key);
    if (p) {
      this.changed(collection, key);
      p.json = undefined;
    }
    return p;
  }

  /** The document of a key may have changed: the field indexes read it again when next asked. */
  private changed(collection: string, key: string): void {
    const fields = this.fieldIndexes.find(collection);
    if (fields) for (const fi of fields.values()) fi.stale.add(key);
  }

  private baseOf(def: CollectionDefinition, key: string, doc: Doc | undefined): IndexValues | typeof ABSENT {
    if (doc === undefined || !def.index) return doc === undefined ? ABSENT : {};
    // Copied: the values may be arrays of the document itself, which the fold may then change in place.
    const values = def.index(doc, key);
    const out: Record<string, readonly string[]> = {};
    for (const field of Object.keys(values)) out[field] = values[field]!.slice();
    return out;
  }

  private setPending(collection: string, key: string, doc: Doc | undefined, json?: string): void {
    const m = this.pending.of(collection);
    const p = m.get(key);
    if (p) {
      p.doc = doc;
      p.json = json;
    } else {
      m.set(key, { collection, key, doc, json });
      this.count++;
    }
    this.changed(collection, key);
  }

  put(collection: string, key: string, doc: Doc, json?: string): void {
    this.collection(collection);
    if (doc === undefined) throw new TypeError('put needs a document; use delete to remove one');
    this.setPending(collection, key, doc, json);
  }

  create(collection: string, key: string, doc: Doc, json?: string): void {
    this.collection(collection);
    if (doc === undefined) throw new TypeError('put needs a document; use delete to remove one');
    if (!this.pending.find(collection)?.has(key)) {
      const bases = this.bases.of(collection);
      if (!bases.has(key)) bases.set(key, ABSENT);
    }
    this.setPending(collection, key, doc, json);
  }

  delete(collection: string, key: string): void {
    this.collection(collection);
    this.setPending(collection, key, undefined);
  }

  async keysBy(collection: string, field: string, value: string): Promise<string[]> {
    const def = this.collection(collection);
    const committed = this.parentBatch ? await this.parentBatch.keysBy(collection, field, value) : await this.reader.keysBy(collection, field, value);
    if (!def.index) return [...new Set(committed)].sort();
    const fi = this.fieldIndex(def, collection, field);
    // The committed keys, less the batch's documents that no longer have the value, plus those that now have it.
    const out = new Set<string>();
    for (const k of committed) {
      const now = fi.valuesOf.get(k);
      if (now === undefined || now.includes(value)) out.add(k);
    }
    const mine = fi.byValue.get(value);
    if (typeof mine === 'string') out.add(mine);
    else if (mine !== undefined) for (const k of mine) out.add(k);
    return [...out].sort();
  }

  /** The field index of the batch's documents, built on first use, with its stale documents read again. */
  private fieldIndex(def: CollectionDefinition, collection: string, field: string): PendingFieldIndex {
    const fields = this.fieldIndexes.of(collection);
    let fi = fields.get(field);
    if (!fi) {
      fi = { byValue: new Map(), valuesOf: new Map(), stale: new Set(this.pending.find(collection)?.keys() ?? []) };
      fields.set(field, fi);
    }
    if (fi.stale.size > 0) {
      const pending = this.pending.find(collection);
      for (const key of fi.stale) {
        const before = fi.valuesOf.get(key) ?? NO_VALUES;
        const doc = pending?.get(key)?.doc;
        const now = doc === undefined ? NO_VALUES : distinctValues(def.index!(doc, key)[field] ?? NO_VALUES);
        // Only the difference moves (a changed document usually keeps most of its values).
        const inNow = contains(now);
        const inBefore = contains(before);
        for (const v of before) if (!inNow(v)) indexRemove(fi.byValue, v, key);
        for (const v of now) if (!inBefore(v)) indexAdd(fi.byValue, v, key);
        fi.valuesOf.set(key, now);
      }
      fi.stale.clear();
    }
    return fi;
  }

  /**
   * The batch's writes with the index values they replace. Documents whose committed version was never read
   * are fetched now, one request per collection.
   */
  async writes(): Promise<DocWrite[]> {
    const out: DocWrite[] = [];
    for (const [collection, pending] of this.pending.entries()) {
      const def = this.collection(collection);
      const bases = this.bases.of(collection);
      if (def.index) {
        // Old index values matter only to indexed collections.
        const unknown: string[] = [];
        for (const key of pending.keys()) {
          if (bases.has(key)) continue;
          const inParent = this.parentBatch?.written(collection, key);
          if (inParent) {
            bases.set(key, this.baseOf(def, key, inParent.doc));
            continue;
          }
          const hit = this.cache.lookup(collection, key);
          if (hit !== undefined) bases.set(key, this.baseOf(def, key, hit === null ? undefined : hit.doc));
          else unknown.push(key);
        }
        if (unknown.length > 0) {
          const docs = await this.reader.getMany(collection, unknown);
          unknown.forEach((k, i) => bases.set(k, this.baseOf(def, k, docs[i])));
        }
      }
      for (const p of pending.values()) {
        const base = bases.get(p.key);
        const previousIndex: IndexValues | undefined = !def.index || base === ABSENT || base === undefined ? undefined : base;
        const index: IndexValues = p.doc !== undefined && def.index ? def.index(p.doc, p.key) : {};
        out.push(p.json === undefined ? { collection, key: p.key, doc: p.doc, index, previousIndex } : { collection, key: p.key, doc: p.doc, json: p.json, index, previousIndex });
      }
    }
    return out;
  }

  /** After a successful commit: the batch's writes become the cached committed state. */
  committedTo(cache: DocCache): void {
    for (const [collection, pending] of this.pending.entries()) for (const p of pending.values()) cache.committed(collection, p.key, p.doc);
    cache.trim();
  }
}
