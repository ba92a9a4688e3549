import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SqliteEventStore } from '@corridor/ledger';
import { eventStoreContract } from './contract/event-store.contract';

for (const writerThread of [true, false]) {
  eventStoreContract(`SQLite (WAL, file on disk, ${writerThread ? 'writer thread' : 'commits on the event loop'})`, () => harness(writerThread));
}

async function harness(writerThread: boolean) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-sqlite-'));
  const file = path.join(dir, 'events.sqlite');
  let store = SqliteEventStore.open({ path: file, writerThread });
  return {
    store: () => store,
    restart: async () => {
      await store.close();
      store = SqliteEventStore.open({ path: file, writerThread });
    },
    dispose: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
