import type { Doc, DocWrite, GenerationReader, IndexValues } from '../store/port';
import type { CollectionDefinition, FoldContext } from './definition';

const ABSENT = null;

/**
 * Committed documents this writer has seen. The projection writer is the only writer of its generation
 * (commits are fenced on the checkpoint), so what it cached stays true until it commits again.
 */
export class DocCache {
  private readonly entries = new Map<string, { doc: Doc } | null>();

  constructor(private readonly capacity: number) {}

  private static id(collection: string, key: string): string {
    return `${collection}\u0000${key}`;
  }

  /** `{doc}` when cached as present, `null` when cached as absent, undefined when unknown. */
  lookup(collection: string, key: string): { doc: Doc } | null | undefined {
    return this.entries.get(DocCache.id(collection, key));
  }

  set(collection: string, key: string, doc: Doc | undefined): void {
    const id = DocCache.id(collection, key);
    this.entries.delete(id);
    this.entries.set(id, doc === undefined ? null : { doc });
  }

  /** Drops the oldest entries beyond capacity. */
  trim(): void {
    let excess = this.entries.size - this.capacity;
    if (excess <= 0) return;
    for (const id of this.entries.keys()) {
      if (excess-- <= 0) break;
      this.entries.delete(id);
    }
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

interface Pending {
  collection: string;
  key: string;
  doc: Doc | undefined;
}

/**
 * The writes of one batch, over the committed state (cache, then store).
 *
 * Documents returned by `get` belong to the projection writer: a fold may change one and put it back. Because a
 * fold may change a committed document in place, the index values a write replaces are taken when the committed
 * document is first read, not at commit time.
 */
export class UnitOfWork implements FoldContext {
  private readonly pending = new Map<string, Pending>();
  /** Index values of the committed version of keys of this batch, when known: id → values | ABSENT. */
  private readonly bases = new Map<string, IndexValues | typeof ABSENT>();

  constructor(
    private readonly reader: GenerationReader,
    private readonly cache: DocCache,
    private readonly collections: Readonly<Record<string, CollectionDefinition>>,
  ) {}

  private static id(collection: string, key: string): string {
    return `${collection}\u0000${key}`;
  }

  private collection(name: string): CollectionDefinition {
    const c = this.collections[name];
    if (c === undefined) throw new Error(`unknown collection ${JSON.stringify(name)}`);
    return c;
  }

  get size(): number {
    return this.pending.size;
  }

  private async committed(collection: string, key: string): Promise<Doc | undefined> {
    const hit = this.cache.lookup(collection, key);
    if (hit !== undefined) return hit === null ? undefined : hit.doc;
    const doc = await this.reader.get(collection, key);
    this.cache.set(collection, key, doc);
    return doc;
  }

  async get<T extends Doc = Doc>(collection: string, key: string): Promise<T | undefined> {
    this.collection(collection);
    const p = this.pending.get(UnitOfWork.id(collection, key));
    if (p) return p.doc as T | undefined;
    const doc = await this.committed(collection, key);
    const id = UnitOfWork.id(collection, key);
    if (!this.bases.has(id)) this.bases.set(id, this.baseOf(collection, key, doc));
    return doc as T | undefined;
  }

  private baseOf(collection: string, key: string, doc: Doc | undefined): IndexValues | typeof ABSENT {
    if (doc === undefined) return ABSENT;
    const def = this.collection(collection);
    return def.index ? def.index(doc, key) : {};
  }

  put(collection: string, key: string, doc: Doc): void {
    this.collection(collection);
    if (doc === undefined) throw new TypeError('put needs a document; use delete to remove one');
    this.pending.set(UnitOfWork.id(collection, key), { collection, key, doc });
  }

  create(collection: string, key: string, doc: Doc): void {
    const id = UnitOfWork.id(collection, key);
    if (!this.pending.has(id) && !this.bases.has(id)) this.bases.set(id, ABSENT);
    this.put(collection, key, doc);
  }

  delete(collection: string, key: string): void {
    this.collection(collection);
    this.pending.set(UnitOfWork.id(collection, key), { collection, key, doc: undefined });
  }

  async keysBy(collection: string, field: string, value: string): Promise<string[]> {
    const def = this.collection(collection);
    const committed = await this.reader.keysBy(collection, field, value);
    const out = new Set(committed);
    if (def.index) {
      for (const p of this.pending.values()) {
        if (p.collection !== collection) continue;
        const now = p.doc === undefined ? false : (def.index(p.doc, p.key)[field] ?? []).includes(value);
        if (now) out.add(p.key);
        else out.delete(p.key);
      }
    }
    return [...out].sort();
  }

  /**
   * The batch's writes with the index values they replace. Documents whose committed version was never read
   * are fetched now, one request per collection.
   */
  async writes(): Promise<DocWrite[]> {
    const unknown = new Map<string, string[]>();
    for (const [id, p] of this.pending) {
      // Old index values matter only to indexed collections.
      if (this.bases.has(id) || !this.collection(p.collection).index) continue;
      const hit = this.cache.lookup(p.collection, p.key);
      if (hit !== undefined) {
        this.bases.set(id, this.baseOf(p.collection, p.key, hit === null ? undefined : hit.doc));
        continue;
      }
      let keys = unknown.get(p.collection);
      if (!keys) unknown.set(p.collection, (keys = []));
      keys.push(p.key);
    }
    for (const [collection, keys] of unknown) {
      const docs = await this.reader.getMany(collection, keys);
      keys.forEach((k, i) => this.bases.set(UnitOfWork.id(collection, k), this.baseOf(collection, k, docs[i])));
    }
    const out: DocWrite[] = [];
    for (const [id, p] of this.pending) {
      const def = this.collection(p.collection);
      const base = this.bases.get(id);
      const previousIndex: IndexValues | undefined = !def.index || base === ABSENT || base === undefined ? undefined : base;
      const index: IndexValues = p.doc !== undefined && def.index ? def.index(p.doc, p.key) : {};
      out.push({ collection: p.collection, key: p.key, doc: p.doc, index, previousIndex });
    }
    return out;
  }

  /** After a successful commit: the batch's writes become the cached committed state. */
  committedTo(cache: DocCache): void {
    for (const p of this.pending.values()) cache.set(p.collection, p.key, p.doc);
    cache.trim();
  }
}
