import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteProjectionStore } from '@corridor/compliance';
import { projectionStoreContract } from './store-contract';

const dirs: string[] = [];
let current: string | undefined;

afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

projectionStoreContract('SQLite (file, WAL)', () => ({
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-proj-'));
    dirs.push(dir);
    current = path.join(dir, 'projections.db');
    return SqliteProjectionStore.open({ path: current });
  },
  async openSecond() {
    return SqliteProjectionStore.open({ path: current! });
  },
}));

describe('SQLite projection store specifics', () => {
  it('uses WAL and the documented tables', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-proj-'));
    dirs.push(dir);
    const store = SqliteProjectionStore.open({ path: path.join(dir, 'p.db') });
    const g = await store.createGeneration('compliance_tensor');
    expect(String(store.db.pragma('journal_mode', { simple: true }))).toBe('wal');
    const tables = (store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[]);
    expect(tables).toEqual(
      [
        `pg_compliance_tensor_${g}_docs`,
        `pg_compliance_tensor_${g}_idx`,
        `pg_compliance_tensor_${g}_meta`,
        `pg_compliance_tensor_${g}_streams`,
        'projection_active',
        'projection_generations',
        'projection_sequences',
      ].sort(),
    );
    await store.close();
  });

  it('serves a read-only replica connection on the same file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-proj-'));
    dirs.push(dir);
    const file = path.join(dir, 'p.db');
    const store = SqliteProjectionStore.open({ path: file });
    const g = await store.createGeneration('p');
    await store.activate('p', g, undefined);
    await store.commit('p', g, { expected: undefined, position: { commit: 1n, prepare: 1n }, events: 1, streams: new Map(), writes: [{ collection: 'c', key: 'k', doc: 1, index: {}, previousIndex: undefined }], meta: {} });
    const replica = SqliteProjectionStore.open({ path: file, readonly: true });
    expect(await replica.reader('p', g).get('c', 'k')).toBe(1);
    await expect(replica.commit('p', g, { expected: { commit: 1n, prepare: 1n }, position: { commit: 2n, prepare: 2n }, events: 2, streams: new Map(), writes: [], meta: {} })).rejects.toThrow(/read-only/);
    await replica.close();
    await store.close();
  });
});
