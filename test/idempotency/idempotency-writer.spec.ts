import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { IdempotencyStore } from '../../apps/node/src/idempotency/idempotency.store';

/**
 * The Idempotency-Key records' group commits run on a writer thread (apps/node/src/idempotency/idempotency.store.ts):
 * durable when they resolve, grouped while a commit runs, never lost when the store closes or the thread dies.
 */
describe('idempotency records: the writer thread', () => {
  let dir: string;
  let file: string;
  let store: IdempotencyStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idempotency-writer-'));
    file = join(dir, 'node.sqlite');
    store = new IdempotencyStore(file);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The record as another connection (another process, after a crash) finds it. */
  function onDisk(key: string) {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare('SELECT fingerprint, stream, status, body FROM idempotency WHERE key = ?').get(key);
    } finally {
      db.close();
    }
  }

  const internals = (s: IdempotencyStore) => s as unknown as { writer: Worker | undefined; inFlight: unknown; commitHere: (b: unknown[]) => void; commit: (b: unknown[]) => void };

  it('commits on the thread, not on the event loop, and a resolved write is on disk', async () => {
    const here = jest.spyOn(internals(store), 'commitHere');
    expect(internals(store).writer).toBeDefined();
    await store.begin('k-1', 'f-1');
    await store.targetStream('k-1', 'corridor-x');
    await store.finish('k-1', { status: 201, body: '{"ok":true}' });
    expect(onDisk('k-1')).toEqual({ fingerprint: 'f-1', stream: 'corridor-x', status: 201, body: '{"ok":true}' });
    expect(here).not.toHaveBeenCalled();
    expect(store.get('k-1')).toEqual({ state: 'done', fingerprint: 'f-1', answer: { status: 201, body: '{"ok":true}' } });
  });

  it('groups the writes made while a commit runs into the next one', async () => {
    const commits = jest.spyOn(internals(store), 'commit');
    const first = Array.from({ length: 10 }, (_, i) => store.begin(`a-${i}`, 'f'));
    await new Promise((r) => setImmediate(r)); // the first batch is now on the thread
    expect(internals(store).inFlight).toBeDefined();
    const second = Array.from({ length: 10 }, (_, i) => store.begin(`b-${i}`, 'f'));
    await new Promise((r) => setImmediate(r));
    await Promise.all([...first, ...second]);
    expect(commits).toHaveBeenCalledTimes(2);
    expect(onDisk('b-9')).toMatchObject({ fingerprint: 'f', status: null });
  });

  it('close() waits for the batch on the thread and commits what is still queued', async () => {
    const onThread = store.begin('c-1', 'f');
    await new Promise((r) => setImmediate(r));
    expect(internals(store).inFlight).toBeDefined();
    const queued = store.begin('c-2', 'f');
    store.close();
    await expect(Promise.all([onThread, queued])).resolves.toEqual([undefined, undefined]);
    expect(onDisk('c-1')).toMatchObject({ fingerprint: 'f' });
    expect(onDisk('c-2')).toMatchObject({ fingerprint: 'f' });
    await expect(store.begin('c-3', 'f')).rejects.toThrow(/closed/);
    store = new IdempotencyStore(file);
  });

  it('when the thread dies, its batch and every later write are committed on the event loop instead', async () => {
    const writer = internals(store).writer!;
    const exited = new Promise((r) => writer.once('exit', r));
    await writer.terminate();
    await exited;
    expect(internals(store).writer).toBeUndefined();
    await store.begin('d-1', 'f');
    await store.finish('d-1', { status: 409, body: '{}' });
    expect(onDisk('d-1')).toEqual({ fingerprint: 'f', stream: null, status: 409, body: '{}' });
  });

  it('commits on the event loop when asked to (writerThread: false)', async () => {
    store.close();
    store = new IdempotencyStore(file, { writerThread: false });
    const here = jest.spyOn(internals(store), 'commitHere');
    expect(internals(store).writer).toBeUndefined();
    await store.begin('e-1', 'f');
    expect(here).toHaveBeenCalledTimes(1);
    expect(onDisk('e-1')).toMatchObject({ fingerprint: 'f' });
  });
});
