import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { NO_STREAM, type StoredEvent } from '../port/event-store.port';
import { SqliteEventStore } from './sqlite-event-store';

/** How often a subscription on the SQLite store reads the log while commits come in. */
describe('SQLite subscriptions: reads per commit', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-subscription-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function follow(store: SqliteEventStore) {
    const sub = store.subscribeToAll();
    const seen: StoredEvent[] = [];
    const loop = (async () => {
      for await (const e of sub) seen.push(e);
    })();
    return { sub, seen, loop };
  }

  const event = (data: string) => ({ id: randomUUID(), type: 'E', data });

  async function until(condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
  }

  it('reads once per commit, without an empty read after each', async () => {
    const store = SqliteEventStore.open({ path: path.join(dir, 'reads.sqlite') });
    try {
      const { sub, seen, loop } = follow(store);
      await sub.caughtUp;
      const reads = jest.spyOn(store, 'scanAll');
      for (let i = 0; i < 10; i++) {
        await store.append('s', [event(String(i))], i === 0 ? NO_STREAM : i - 1);
        await until(() => seen.length === i + 1);
      }
      expect(seen.map((e) => e.data)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(reads.mock.calls.length).toBeLessThanOrEqual(11);
      await sub.stop();
      await loop;
    } finally {
      await store.close();
    }
  });
});
