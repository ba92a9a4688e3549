import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { RedisProjectionStore } from '@corridor/compliance';
import { startRedis, type RedisServer } from '../../../test/support/infra';
import { projectionStoreContract } from './store-contract';

let server: RedisServer;
let prefix = '';
const opened: RedisProjectionStore[] = [];
const OPTIONS = { disconnectTimeout: 50, maxRetriesPerRequest: 1 };

beforeAll(async () => {
  server = await startRedis();
});

afterAll(async () => {
  for (const s of opened) await s.close();
  await server?.stop();
});

projectionStoreContract('Redis (real redis-server over TCP)', () => ({
  async open() {
    prefix = `corridor-test:${randomUUID()}`;
    const s = await RedisProjectionStore.connect({ url: server.url, prefix, options: OPTIONS });
    return s;
  },
  async openSecond() {
    return RedisProjectionStore.connect({ url: server.url, prefix, options: OPTIONS });
  },
}));

describe('Redis projection store specifics', () => {
  it('lays keys out as documented, all of one generation under one hash tag', async () => {
    const p = `corridor-test:${randomUUID()}`;
    const store = await RedisProjectionStore.connect({ url: server.url, prefix: p, options: OPTIONS });
    opened.push(store);
    const g = await store.createGeneration('compliance_tensor');
    await store.activate('compliance_tensor', g, undefined);
    await store.commit('compliance_tensor', g, {
      expected: undefined,
      position: { commit: 7n, prepare: 7n },
      events: 1,
      streams: new Map([['corridor-x', 0]]),
      writes: [{ collection: 'cells', key: 'k', doc: { a: 1 }, index: { subject: ['s1'] }, previousIndex: undefined }],
      meta: { commitment: 'abc' },
    });
    const raw = new Redis(server.url, OPTIONS);
    try {
      const keys = (await raw.keys(`${p}:*`)).sort();
      const base = `${p}:{compliance_tensor:${g}}`;
      expect(keys).toEqual([`${base}:doc:cells`, `${base}:idx:cells:subject:s1`, `${base}:meta`, `${base}:streams`, `${p}:{compliance_tensor}:generations`].sort());
      expect(await raw.hgetall(`${base}:meta`)).toEqual({ events: '1', position: '7/7', commitment: 'abc' });
      expect(await raw.hget(`${base}:doc:cells`, 'k')).toBe('{"a":1}');
      expect(await raw.zrange(`${base}:idx:cells:subject:s1`, '0', '-1')).toEqual(['k']);
      expect(await raw.hget(`${p}:{compliance_tensor}:generations`, 'active')).toBe(String(g));
    } finally {
      raw.disconnect();
    }
  });

  it('fails to connect with a clear error when Redis is unreachable', async () => {
    const { freePort } = await import('../../../test/support/infra');
    const port = await freePort();
    await expect(
      RedisProjectionStore.connect({ url: `redis://127.0.0.1:${port}`, options: { ...OPTIONS, retryStrategy: () => null, lazyConnect: true } }),
    ).rejects.toThrow(/cannot reach Redis/);
  });
});
