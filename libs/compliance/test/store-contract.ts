import {
  ProjectionConflictError,
  type CommitBatch,
  type DocWrite,
  type IndexValues,
  type ProjectionStore,
} from '@corridor/compliance';
import type { GlobalPosition } from '@corridor/ledger';

/**
 * The projection-store contract: every adapter must pass this suite unchanged (test/sqlite-store.spec.ts and
 * test/redis-store.spec.ts run it). Expected values are written out here, from the port's definition.
 */
export interface StoreHarness {
  /** A fresh, empty store (a new file, or a new key prefix on the shared server). */
  open(): Promise<ProjectionStore>;
  /** A second, independent connection to the same storage as the last store `open` returned. */
  openSecond(): Promise<ProjectionStore>;
}

const pos = (n: number | bigint): GlobalPosition => ({ commit: BigInt(n), prepare: BigInt(n) });

function put(collection: string, key: string, doc: DocWrite['doc'], index: IndexValues = {}, previousIndex?: IndexValues): DocWrite {
  return { collection, key, doc, index, previousIndex };
}

function batch(expected: GlobalPosition | undefined, position: GlobalPosition, events: number, writes: DocWrite[] = [], extra: Partial<CommitBatch> = {}): CommitBatch {
  return { expected, position, events, streams: new Map(), writes, meta: {}, ...extra };
}

export function projectionStoreContract(name: string, harness: () => StoreHarness): void {
  describe(`projection store contract: ${name}`, () => {
    let store: ProjectionStore;
    const others: ProjectionStore[] = [];

    beforeEach(async () => {
      store = await harness().open();
    });
    afterEach(async () => {
      for (const o of others.splice(0)) await o.close();
      await store.close();
    });

    async function fresh(projection = 'p'): Promise<number> {
      const g = await store.createGeneration(projection);
      await store.activate(projection, g, (await store.generations(projection)).active);
      return g;
    }

    describe('generations', () => {
      it('starts with none, numbers new ones 1, 2, … and never reuses a number', async () => {
        expect(await store.generations('p')).toEqual({ active: undefined, all: [] });
        expect(await store.createGeneration('p')).toBe(1);
        expect(await store.createGeneration('p')).toBe(2);
        expect(await store.createGeneration('other')).toBe(1);
        await store.dropGeneration('p', 2);
        expect(await store.createGeneration('p')).toBe(3);
        expect(await store.generations('p')).toEqual({ active: undefined, all: [1, 3] });
      });

      it('activates only from the expected active generation', async () => {
        const g1 = await store.createGeneration('p');
        const g2 = await store.createGeneration('p');
        await expect(store.activate('p', g1, 7)).rejects.toBeInstanceOf(ProjectionConflictError);
        await store.activate('p', g1, undefined);
        expect((await store.generations('p')).active).toBe(1);
        await expect(store.activate('p', g2, undefined)).rejects.toBeInstanceOf(ProjectionConflictError);
        await store.activate('p', g2, g1);
        expect(await store.generations('p')).toEqual({ active: 2, all: [1, 2] });
      });

      it('refuses to activate a generation that does not exist and to drop the active one', async () => {
        await expect(store.activate('p', 5, undefined)).rejects.toThrow(/does not exist/);
        const g = await fresh();
        await expect(store.dropGeneration('p', g)).rejects.toThrow(/active/);
        expect((await store.generations('p')).all).toEqual([g]);
      });

      it('keeps generations apart and drops one with all its data', async () => {
        const g1 = await fresh();
        const g2 = await store.createGeneration('p');
        await store.commit('p', g1, batch(undefined, pos(1), 1, [put('docs', 'k', { v: 1 }, { f: ['x'] })], { streams: new Map([['s', 0]]), meta: { m: 'one' } }));
        const r2 = store.reader('p', g2);
        expect(await r2.get('docs', 'k')).toBeUndefined();
        expect(await r2.keysBy('docs', 'f', 'x')).toEqual([]);
        expect(await r2.checkpoint()).toEqual({ position: undefined, events: 0, meta: {} });
        await store.commit('p', g2, batch(undefined, pos(9), 3, [put('docs', 'k', { v: 2 })]));
        expect(await store.reader('p', g1).get('docs', 'k')).toEqual({ v: 1 });
        expect(await store.reader('p', g2).get('docs', 'k')).toEqual({ v: 2 });
        await store.activate('p', g2, g1);
        await store.dropGeneration('p', g1);
        expect(await store.generations('p')).toEqual({ active: g2, all: [g2] });
        const gone = store.reader('p', g1);
        const read = await gone.get('docs', 'k').then(
          (v) => v,
          () => 'refused',
        );
        expect([undefined, 'refused']).toContain(read);
      });
    });

    describe('documents and indexes', () => {
      it('stores JSON documents exactly, reads one or many, counts and lists a collection', async () => {
        const g = await fresh();
        const doc = { s: 'één ✓ 🚀', n: 9007199254740991, neg: -3, b: true, z: null, a: [1, 'two', { three: [] }], o: {} };
        await store.commit('p', g, batch(undefined, pos(1), 1, [put('docs', 'k1', doc), put('docs', 'k:2/ü', 'plain string'), put('other', 'k1', 42)]));
        const r = store.reader('p', g);
        expect(await r.get('docs', 'k1')).toEqual(doc);
        expect(await r.get('docs', 'missing')).toBeUndefined();
        expect(await r.getMany('docs', ['k:2/ü', 'missing', 'k1'])).toEqual(['plain string', undefined, doc]);
        expect(await r.getMany('docs', [])).toEqual([]);
        expect(await r.count('docs')).toBe(2);
        expect(await r.count('other')).toBe(1);
        expect(await r.count('none')).toBe(0);
        expect((await r.entries('docs')).sort()).toEqual([
          ['k1', doc],
          ['k:2/ü', 'plain string'],
        ].sort());
        expect(await r.entries('none')).toEqual([]);
      });

      it('answers index lookups in ascending key order, with paging', async () => {
        const g = await fresh();
        const keys = ['m', 'a', 'z', 'b:1', 'b', 'é'];
        await store.commit('p', g, batch(undefined, pos(1), 1, keys.map((k) => put('docs', k, { k }, { tag: ['t'], own: [k] }))));
        const r = store.reader('p', g);
        const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        expect(sorted).toEqual(['a', 'b', 'b:1', 'm', 'z', 'é']);
        expect(await r.keysBy('docs', 'tag', 't')).toEqual(sorted);
        expect(await r.keysBy('docs', 'tag', 't', { limit: 2 })).toEqual(['a', 'b']);
        expect(await r.keysBy('docs', 'tag', 't', { after: 'b', limit: 2 })).toEqual(['b:1', 'm']);
        expect(await r.keysBy('docs', 'tag', 't', { after: 'z' })).toEqual(['é']);
        expect(await r.keysBy('docs', 'own', 'm')).toEqual(['m']);
        expect(await r.keysBy('docs', 'tag', 'nothing')).toEqual([]);
        expect(await r.countBy('docs', 'tag', 't')).toBe(6);
        expect(await r.countBy('docs', 'own', 'nothing')).toBe(0);
      });

      it('moves index entries when a document changes and removes them when it is deleted', async () => {
        const g = await fresh();
        await store.commit('p', g, batch(undefined, pos(1), 1, [put('docs', 'a', 1, { colour: ['red'], size: ['s', 'm'] }), put('docs', 'b', 2, { colour: ['red'] })]));
        await store.commit('p', g, batch(pos(1), pos(2), 2, [put('docs', 'a', 3, { colour: ['blue'], size: ['m', 'l'] }, { colour: ['red'], size: ['s', 'm'] })]));
        const r = store.reader('p', g);
        expect(await r.get('docs', 'a')).toBe(3);
        expect(await r.keysBy('docs', 'colour', 'red')).toEqual(['b']);
        expect(await r.keysBy('docs', 'colour', 'blue')).toEqual(['a']);
        expect(await r.keysBy('docs', 'size', 's')).toEqual([]);
        expect(await r.keysBy('docs', 'size', 'm')).toEqual(['a']);
        expect(await r.keysBy('docs', 'size', 'l')).toEqual(['a']);
        await store.commit('p', g, batch(pos(2), pos(3), 3, [put('docs', 'a', undefined, {}, { colour: ['blue'], size: ['m', 'l'] })]));
        expect(await r.get('docs', 'a')).toBeUndefined();
        expect(await r.keysBy('docs', 'colour', 'blue')).toEqual([]);
        expect(await r.keysBy('docs', 'size', 'm')).toEqual([]);
        expect(await r.count('docs')).toBe(1);
      });

      it('applies the writes of one batch in order (the last write of a key wins)', async () => {
        const g = await fresh();
        await store.commit('p', g, batch(undefined, pos(1), 1, [put('docs', 'a', 1, { v: ['1'] }), put('docs', 'a', 2, { v: ['2'] }, { v: ['1'] }), put('docs', 'b', 1), put('docs', 'b', undefined, {}, {})]));
        const r = store.reader('p', g);
        expect(await r.get('docs', 'a')).toBe(2);
        expect(await r.get('docs', 'b')).toBeUndefined();
        expect(await r.keysBy('docs', 'v', '1')).toEqual([]);
        expect(await r.keysBy('docs', 'v', '2')).toEqual(['a']);
      });
    });

    describe('checkpoint, stream heads, metadata', () => {
      it('commits position, event count, stream heads and metadata with the documents', async () => {
        const g = await fresh();
        const r = store.reader('p', g);
        expect(await r.checkpoint()).toEqual({ position: undefined, events: 0, meta: {} });
        expect(await r.streamSequence('corridor-a')).toBeUndefined();
        await store.commit('p', g, batch(undefined, pos(5), 5, [], { streams: new Map([['corridor-a', 3], ['saga-1', 0]]), meta: { commitment: 'c1', cells: '7' } }));
        expect(await r.checkpoint()).toEqual({ position: pos(5), events: 5, meta: { commitment: 'c1', cells: '7' } });
        await store.commit('p', g, batch(pos(5), pos(6), 6, [], { streams: new Map([['corridor-a', 4]]), meta: { commitment: 'c2' } }));
        expect(await r.checkpoint()).toEqual({ position: pos(6), events: 6, meta: { commitment: 'c2', cells: '7' } });
        expect(await r.streamSequence('corridor-a')).toBe(4);
        expect(await r.streamSequences(['saga-1', 'nope', 'corridor-a'])).toEqual([0, undefined, 4]);
        expect(await r.streams()).toEqual(new Map([['corridor-a', 4], ['saga-1', 0]]));
      });

      it('keeps 64-bit positions exact (EventStoreDB commit/prepare positions)', async () => {
        const g = await fresh();
        const big: GlobalPosition = { commit: 18446744073709551615n, prepare: 18446744073709551000n };
        await store.commit('p', g, batch(undefined, big, 1));
        expect((await store.reader('p', g).checkpoint()).position).toEqual(big);
      });

      it('refuses a batch that does not continue from the stored checkpoint, writing nothing', async () => {
        const g = await fresh();
        await store.commit('p', g, batch(undefined, pos(2), 2, [put('docs', 'a', 1)]));
        for (const expected of [undefined, pos(1), pos(3)]) {
          await expect(store.commit('p', g, batch(expected, pos(10), 10, [put('docs', 'a', 99), put('docs', 'x', 1)], { streams: new Map([['s', 9]]), meta: { m: 'bad' } }))).rejects.toBeInstanceOf(
            ProjectionConflictError,
          );
        }
        const r = store.reader('p', g);
        expect(await r.get('docs', 'a')).toBe(1);
        expect(await r.get('docs', 'x')).toBeUndefined();
        expect(await r.streamSequence('s')).toBeUndefined();
        expect(await r.checkpoint()).toEqual({ position: pos(2), events: 2, meta: {} });
      });

      it('refuses a batch that does not move the checkpoint forward or uses reserved metadata', async () => {
        const g = await fresh();
        await store.commit('p', g, batch(undefined, pos(2), 2));
        await expect(store.commit('p', g, batch(pos(2), pos(2), 3))).rejects.toThrow(/forward/);
        await expect(store.commit('p', g, batch(pos(2), pos(3), 3, [], { meta: { position: 'x' } }))).rejects.toThrow(/reserved/);
        await expect(store.commit('p', g, batch(pos(2), pos(3), 3, [put('Bad-Name', 'k', 1)]))).rejects.toThrow(/collection/);
        expect(await store.reader('p', g).checkpoint()).toEqual({ position: pos(2), events: 2, meta: {} });
      });

      it('lets exactly one of two writers that start from the same checkpoint commit', async () => {
        const g = await fresh();
        await store.commit('p', g, batch(undefined, pos(1), 1));
        const second = await harness().openSecond();
        others.push(second);
        const results = await Promise.allSettled([
          store.commit('p', g, batch(pos(1), pos(2), 2, [put('docs', 'w', 'first')])),
          second.commit('p', g, batch(pos(1), pos(3), 3, [put('docs', 'w', 'second')])),
        ]);
        const ok = results.filter((r) => r.status === 'fulfilled');
        const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        expect(ok).toHaveLength(1);
        expect(failed).toHaveLength(1);
        expect(failed[0]!.reason).toBeInstanceOf(ProjectionConflictError);
        const winner = results[0]!.status === 'fulfilled' ? 'first' : 'second';
        const r = second.reader('p', g);
        expect(await r.get('docs', 'w')).toBe(winner);
        expect((await r.checkpoint()).position).toEqual(winner === 'first' ? pos(2) : pos(3));
      });

      it('shows one writer\'s commits to another connection (a replica reading)', async () => {
        const g = await fresh();
        const replica = await harness().openSecond();
        others.push(replica);
        expect((await replica.generations('p')).active).toBe(g);
        await store.commit('p', g, batch(undefined, pos(4), 4, [put('docs', 'seen', { ok: true }, { f: ['v'] })], { meta: { k: 'v' } }));
        const r = replica.reader('p', g);
        expect(await r.get('docs', 'seen')).toEqual({ ok: true });
        expect(await r.keysBy('docs', 'f', 'v')).toEqual(['seen']);
        expect(await r.checkpoint()).toEqual({ position: pos(4), events: 4, meta: { k: 'v' } });
      });
    });
  });
}
