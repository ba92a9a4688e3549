import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { NO_STREAM, SqliteEventStore, type StoredEvent } from '@corridor/ledger';
import { tempDir } from './support/chain-fixtures';

/** What the SQLite adapter promises beyond the shared contract. */
describe('SQLite event store', () => {
  let dir: string;
  beforeEach(() => (dir = tempDir('ledger-sqlite-')));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs in WAL mode with the configured durability', async () => {
    const full = SqliteEventStore.open({ path: path.join(dir, 'full.sqlite') });
    const normal = SqliteEventStore.open({ path: path.join(dir, 'normal.sqlite'), durability: 'normal' });
    try {
      expect(full.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(full.db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(normal.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    } finally {
      await full.close();
      await normal.close();
    }
  });

  it('refuses a database written by an unknown schema version', async () => {
    const file = path.join(dir, 'old.sqlite');
    await SqliteEventStore.open({ path: file }).close();
    const db = new Database(file);
    db.prepare('UPDATE ledger_schema SET version = 99').run();
    db.close();
    expect(() => SqliteEventStore.open({ path: file })).toThrow(/schema version 99/);
  });

  it('cannot share an in-memory database with a writer thread', () => {
    expect(() => SqliteEventStore.open({ path: ':memory:', writerThread: true })).toThrow();
    const mem = SqliteEventStore.open({ path: ':memory:' });
    return mem.close();
  });

  it('wakes subscriptions for events committed by another process on the same file', async () => {
    const file = path.join(dir, 'shared.sqlite');
    const reader = SqliteEventStore.open({ path: file, pollIntervalMs: 20 });
    const other = SqliteEventStore.open({ path: file });
    try {
      const sub = reader.subscribeToAll({ filter: { on: 'stream', prefixes: ['x-'] } });
      const seen: StoredEvent[] = [];
      const loop = (async () => {
        for await (const e of sub) seen.push(e);
      })();
      await sub.caughtUp;
      await other.append('x-1', [{ id: randomUUID(), type: 'E', data: '1' }], NO_STREAM);
      await other.append('x-2', [{ id: randomUUID(), type: 'E', data: '2' }], NO_STREAM);
      const deadline = Date.now() + 5000;
      while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await sub.stop();
      await loop;
      expect(seen.map((e) => e.data)).toEqual(['1', '2']);
    } finally {
      await reader.close();
      await other.close();
    }
  });

  it('group-commits appends queued together while keeping each one atomic and checked', async () => {
    const store = SqliteEventStore.open({ path: path.join(dir, 'group.sqlite') });
    try {
      const ev = (d: string) => ({ id: randomUUID(), type: 'E', data: d });
      const results = await Promise.allSettled([
        store.append('g-1', [ev('a'), ev('b')], NO_STREAM),
        store.append('g-1', [ev('c')], 1),
        store.append('g-1', [ev('x')], 0), // stale: refused on its own
        store.append('g-2', [ev('d')], NO_STREAM),
        store.append('g-1', [ev('e')], 2),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((await store.read('g-1')).map((e) => e.data)).toEqual(['a', 'b', 'c', 'e']);
      const all = await store.readAll();
      expect(all.map((e) => Number(e.position.commit))).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await store.close();
    }
  });
});
