import {
  canonicalCellText,
  DocCache,
  isCanonicalCell,
  SqliteProjectionStore,
  sqliteTablePrefix,
  UnitOfWork,
  withAttestation,
  withRevocation,
  type Attestation,
  type CellKey,
  type Doc,
  type GenerationReader,
  type TensorCell,
} from '@corridor/compliance';
import { sha } from './oracle';
import { BACKENDS } from './stores';

/**
 * A projection may hand the store the JSON text of a document it has already built (the tensor: the canonical
 * text of a cell, which it hashes for the digest); the store writes that text instead of serializing again. These
 * tests pin down when that text is used and when it must not be.
 */

const KEY: CellKey = { subject: 'acme-ltd', jurisdiction: 'ae-difc', domain: 'kyc' };
const att = (n: number, fields: Partial<Attestation> = {}): Attestation => ({
  digest: sha(`attestation-${n}`),
  issuer_did: 'did:key:issuer"A\u00e9',
  issued_at: '2025-01-01T00:00:00Z',
  expires_at: n % 2 ? null : '2026-01-01T00:00:00Z',
  state: 'compliant',
  revoked: false,
  ...fields,
});

describe('isCanonicalCell: when the canonical text of a cell is a JSON text of the cell itself', () => {
  it('holds for every cell the tensor builds, and the text then parses back to the cell', () => {
    let cell: TensorCell | undefined;
    for (const n of [5, 1, 9, 3, 7, 2]) {
      cell = withAttestation(cell, KEY, att(n)).cell;
      expect(isCanonicalCell(cell)).toBe(true);
      expect(JSON.parse(canonicalCellText(cell))).toEqual(cell);
    }
    const revoked = withRevocation(cell!, att(3).digest).cell;
    expect(isCanonicalCell(revoked)).toBe(true);
    expect(JSON.parse(canonicalCellText(revoked))).toEqual(revoked);
    // A cell read back from the store (JSON.parse of its stored text) is canonical too.
    expect(isCanonicalCell(JSON.parse(JSON.stringify(revoked)) as TensorCell)).toBe(true);
  });

  it('fails for cells whose canonical text would not parse back to them', () => {
    const cell = withAttestation(withAttestation(undefined, KEY, att(1)).cell, KEY, att(2)).cell;
    const unsorted: TensorCell = { ...cell, attestations: [...cell.attestations].reverse() };
    expect(JSON.parse(canonicalCellText(unsorted))).not.toEqual(unsorted);
    expect(isCanonicalCell(unsorted)).toBe(false);
    const extra = { ...cell, note: 'x' } as unknown as TensorCell;
    expect(isCanonicalCell(extra)).toBe(false);
    const extraInAttestation: TensorCell = { ...cell, attestations: [{ ...cell.attestations[0]!, note: 'x' } as unknown as Attestation, cell.attestations[1]!] };
    expect(isCanonicalCell(extraInAttestation)).toBe(false);
    const { revoked: _r, ...missing } = cell.attestations[0]!;
    expect(isCanonicalCell({ ...cell, attestations: [missing as unknown as Attestation, cell.attestations[1]!] })).toBe(false);
    const { domain: _d, ...noDomain } = cell;
    expect(isCanonicalCell(noDomain as unknown as TensorCell)).toBe(false);
  });
});

/** A reader with nothing committed. */
function emptyReader(): GenerationReader {
  const none = async () => undefined;
  return {
    projection: 'p',
    generation: 1,
    checkpoint: async () => ({ position: undefined, events: 0, meta: {} }),
    streamSequence: none,
    streams: async () => new Map(),
    get: none,
    getMany: async (_c: string, keys: readonly string[]) => keys.map(() => undefined),
    keysBy: async () => [],
    countBy: async () => 0,
    entries: async () => [],
    count: async () => 0,
  } as unknown as GenerationReader;
}

describe('UnitOfWork: the JSON text given with a document', () => {
  const collections = { docs: { index: (d: Doc) => ({ v: [String((d as { v: number }).v)] }) } };
  const uow = () => new UnitOfWork(emptyReader(), new DocCache(100), collections);
  const jsonOf = async (u: UnitOfWork) => Object.fromEntries((await u.writes()).map((w) => [w.key, w.json]));

  it('reaches the store with the write', async () => {
    const u = uow();
    u.put('docs', 'a', { v: 1 }, '{"v":1}');
    u.create('docs', 'b', { v: 2 }, '{"v":2}');
    u.put('docs', 'c', { v: 3 });
    expect(await jsonOf(u)).toEqual({ a: '{"v":1}', b: '{"v":2}', c: undefined });
  });

  it('is dropped once the document is handed out by get (the fold may change it in place)', async () => {
    const u = uow();
    u.put('docs', 'a', { v: 1 }, '{"v":1}');
    const doc = (await u.get('docs', 'a')) as { v: number };
    doc.v = 2;
    const [w] = await u.writes();
    expect(w!.json).toBeUndefined();
    expect(w!.doc).toEqual({ v: 2 });
    expect(w!.index).toEqual({ v: ['2'] });
  });

  it('is replaced by a later put, and dropped by a later put without one or by a delete', async () => {
    const u = uow();
    u.put('docs', 'a', { v: 1 }, '{"v":1}');
    u.put('docs', 'a', { v: 2 }, '{"v":2}');
    u.put('docs', 'b', { v: 1 }, '{"v":1}');
    u.put('docs', 'b', { v: 2 });
    u.put('docs', 'c', { v: 1 }, '{"v":1}');
    u.delete('docs', 'c');
    expect(await jsonOf(u)).toEqual({ a: '{"v":2}', b: undefined, c: undefined });
  });

  it('is dropped when the next batch (pipelined) gets the document through this one', async () => {
    const parent = uow();
    parent.put('docs', 'a', { v: 1 }, '{"v":1}');
    const child = new UnitOfWork(emptyReader(), new DocCache(100), collections, parent);
    const doc = (await child.get('docs', 'a')) as { v: number };
    expect(doc).toEqual({ v: 1 });
    expect((await parent.writes())[0]!.json).toBeUndefined();
  });
});

describe('SQLite store: a write with its JSON text', () => {
  it('stores that text as is and reads back the document', async () => {
    const store = SqliteProjectionStore.open({ path: ':memory:' });
    try {
      const g = await store.createGeneration('p');
      const text = '{"b":[1,2],"a":"x"}';
      await store.commit('p', g, {
        expected: undefined,
        position: { commit: 1n, prepare: 1n },
        events: 1,
        streams: new Map(),
        meta: {},
        writes: [
          { collection: 'docs', key: 'k', doc: { a: 'x', b: [1, 2] }, json: text, index: {}, previousIndex: undefined },
          { collection: 'docs', key: 'plain', doc: { a: 'x', b: [1, 2] }, index: {}, previousIndex: undefined },
        ],
      });
      const raw = store.db.prepare(`SELECT key, doc FROM ${sqliteTablePrefix('p', g)}_docs ORDER BY key`).all();
      expect(raw).toEqual([
        { key: 'k', doc: text },
        { key: 'plain', doc: '{"a":"x","b":[1,2]}' },
      ]);
      expect(await store.reader('p', g).get('docs', 'k')).toEqual({ a: 'x', b: [1, 2] });
    } finally {
      await store.close();
    }
  });
});

describe.each(BACKENDS.map((b) => [b().name, b] as const))('%s store: the JSON text of a write is what it stores', (_name, backendOf) => {
  const backend = backendOf();
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());

  it('writes the given text (here, deliberately, one with an extra field) and serializes documents without one', async () => {
    const store = await backend.open();
    try {
      const g = await store.createGeneration('p');
      await store.commit('p', g, {
        expected: undefined,
        position: { commit: 1n, prepare: 1n },
        events: 1,
        streams: new Map(),
        meta: {},
        writes: [
          { collection: 'docs', key: 'k', doc: { a: 1 }, json: '{"a":1,"via":"json"}', index: {}, previousIndex: undefined },
          { collection: 'docs', key: 'plain', doc: { a: 1 }, index: {}, previousIndex: undefined },
          { collection: 'docs', key: 'gone', doc: undefined, json: '{"never":true}', index: {}, previousIndex: undefined },
        ],
      });
      expect(await store.reader('p', g).getMany('docs', ['k', 'plain', 'gone'])).toEqual([{ a: 1, via: 'json' }, { a: 1 }, undefined]);
    } finally {
      await store.close();
    }
  });
});
