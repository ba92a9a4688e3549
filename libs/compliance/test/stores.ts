import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { RedisProjectionStore, SqliteProjectionStore, type ProjectionStore } from '@corridor/compliance';
import { startRedis, type RedisServer } from '../../../test/support/infra';
import { tempDir } from './support';

/** The two projection-store backends, for suites that run unchanged on both. */
export interface StoreBackend {
  readonly name: 'sqlite' | 'redis';
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** A fresh, empty store. */
  open(): Promise<ProjectionStore>;
  /** Another connection to the storage of the last `open` (a replica, or a second writer). */
  reopen(): Promise<ProjectionStore>;
}

export function sqliteBackend(): StoreBackend {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let file = '';
  let n = 0;
  return {
    name: 'sqlite',
    async setup() {
      tmp = tempDir();
    },
    async teardown() {
      tmp?.cleanup();
    },
    async open() {
      file = path.join(tmp!.dir, `projections-${++n}.db`);
      return SqliteProjectionStore.open({ path: file });
    },
    async reopen() {
      return SqliteProjectionStore.open({ path: file });
    },
  };
}

export function redisBackend(): StoreBackend {
  let server: RedisServer | undefined;
  let prefix = '';
  const options = { disconnectTimeout: 50, maxRetriesPerRequest: 1 };
  return {
    name: 'redis',
    async setup() {
      server = await startRedis();
    },
    async teardown() {
      await server?.stop();
    },
    async open() {
      prefix = `corridor-test:${randomUUID()}`;
      return RedisProjectionStore.connect({ url: server!.url, prefix, options });
    },
    async reopen() {
      return RedisProjectionStore.connect({ url: server!.url, prefix, options });
    },
  };
}

export const BACKENDS = [sqliteBackend, redisBackend];
