import { DocCache, UnitOfWork, type Doc, type GenerationReader } from '@corridor/compliance';

/**
 * `keysBy` inside a batch keeps an index of the batch's own documents (built on first use, then kept by
 * difference). Checked against the definition: the committed keys with the value, less the batch's documents that
 * no longer have it, plus those that now have it — after random puts, creates, deletes, in-place changes of
 * documents got from `get`, and a pipelined child batch reading through its parent.
 */

type D = { tags: string[] };
const collections = { docs: { index: (d: Doc) => ({ tag: (d as unknown as D).tags }) } };

/** A reader over fixed committed documents, answering index lookups from them. */
function readerOf(committed: Map<string, D>): GenerationReader {
  const byTag = (tag: string) => [...committed].filter(([, d]) => d.tags.includes(tag)).map(([k]) => k).sort();
  const clone = (d: D | undefined) => (d === undefined ? undefined : (JSON.parse(JSON.stringify(d)) as Doc));
  return {
    projection: 'p',
    generation: 1,
    get: async (_c: string, k: string) => clone(committed.get(k)),
    getMany: async (_c: string, keys: readonly string[]) => keys.map((k) => clone(committed.get(k))),
    keysBy: async (_c: string, _f: string, v: string) => byTag(v),
  } as unknown as GenerationReader;
}

describe('UnitOfWork.keysBy within a batch', () => {
  it('agrees with the definition after any sequence of writes (random, 300 rounds)', async () => {
    let seed = 3;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const tags = ['a', 'b', 'c', 'd', 'e'];
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const randomTags = () => Array.from({ length: rnd(4) }, () => tags[rnd(tags.length)]!);
    for (let round = 0; round < 300; round++) {
      const committed = new Map<string, D>();
      for (const k of keys) if (rnd(2)) committed.set(k, { tags: randomTags() });
      const reader = readerOf(committed);
      // The model: what each key holds now (undefined: absent), starting from the committed documents.
      const model = new Map<string, D | undefined>([...committed].map(([k, d]) => [k, { tags: [...d.tags] }]));
      const parent = new UnitOfWork(reader, new DocCache(1000), collections);
      let uow = parent;
      for (let step = 0; step < 40; step++) {
        const k = keys[rnd(keys.length)]!;
        const op = rnd(7);
        if (op === 0) {
          uow.put('docs', k, { tags: randomTags() } as unknown as Doc);
          model.set(k, JSON.parse(JSON.stringify(await uow.get('docs', k))) as D);
        } else if (op === 1) {
          uow.delete('docs', k);
          model.set(k, undefined);
        } else if (op === 2) {
          // Changed in place after `get`, then put back (what projections do).
          const d = (await uow.get('docs', k)) as unknown as D | undefined;
          if (d) {
            d.tags.push(tags[rnd(tags.length)]!);
            if (rnd(2)) d.tags.shift();
            uow.put('docs', k, d as unknown as Doc);
            model.set(k, { tags: [...d.tags] });
          }
        } else if (op === 3 && round % 2 === 0 && uow === parent && step > 10) {
          // Pipelined: the next batch folds over this one (whose commit is in flight).
          uow = new UnitOfWork(reader, new DocCache(1000), collections, parent);
        } else {
          const tag = tags[rnd(tags.length)]!;
          const expected = [...model].filter(([, d]) => d !== undefined && d.tags.includes(tag)).map(([key]) => key).sort();
          expect([round, step, tag, await uow.keysBy('docs', 'tag', tag)]).toEqual([round, step, tag, expected]);
        }
      }
      if (uow !== parent) continue;
      // What the batch commits: each key's final document and index, and the index it replaces — the committed
      // one, whatever the fold changed in place meanwhile (the index function here returns the document's array).
      for (const w of await parent.writes()) {
        const now = model.get(w.key);
        const before = committed.get(w.key);
        expect([round, w.key, w.doc === undefined ? undefined : (w.doc as unknown as D).tags]).toEqual([round, w.key, now?.tags]);
        if (now !== undefined) expect([round, w.key, [...new Set(w.index.tag)]]).toEqual([round, w.key, [...new Set(now.tags)]]);
        expect([round, w.key, w.previousIndex === undefined ? undefined : [...new Set(w.previousIndex.tag)]]).toEqual([round, w.key, before === undefined ? undefined : [...new Set(before.tags)]]);
      }
    }
  });
});
