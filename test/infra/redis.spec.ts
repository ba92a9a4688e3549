import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { canConnect, processExists, startRedis, waitFor, RedisServer } from '../support/infra';

/** The Redis helper against a real redis-server (or REDIS_URL), through a real client over TCP. */

const external = Boolean(process.env.REDIS_URL);

function client(url: string): Redis {
  // No offline queue and no reconnects: a command on a dead server fails at once instead of waiting.
  // disconnectTimeout: ioredis 6 arms a (default 2 s) timer when disconnect() meets an already-closed socket and
  // never clears it, which would hold jest open after the stop() test.
  return new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    disconnectTimeout: 50,
  });
}

describe('startRedis', () => {
  let server: RedisServer;
  let redis: Redis;
  const prefix = `corridor-infra-test:${randomUUID()}:`;

  beforeAll(async () => {
    server = await startRedis();
    redis = client(server.url);
    await redis.connect();
  });

  afterAll(async () => {
    if (redis) {
      if (redis.status === 'ready') {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
      }
      redis.disconnect();
    }
    await server?.stop();
  });

  it('serves a real TCP connection on the reported port', async () => {
    expect(server.url).toMatch(/^rediss?:\/\//);
    expect(server.port).toBeGreaterThan(0);
    if (!external) {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(server.external).toBe(false);
      expect(server.pid).toBeDefined();
    }
    expect(await canConnect(server.port, server.host)).toBe(true);
    expect(await redis.ping()).toBe('PONG');
    const info = await redis.info('server');
    expect(info).toMatch(/redis_version:\d+\.\d+/);
    if (!external) expect(info).toContain(`tcp_port:${server.port}`);
  });

  it('stores and returns values (SET/GET, binary-safe, expiry)', async () => {
    expect(await redis.set(`${prefix}a`, 'één ✓')).toBe('OK');
    expect(await redis.get(`${prefix}a`)).toBe('één ✓');
    const bytes = Buffer.from([0, 255, 10, 13, 0]);
    await redis.set(`${prefix}bin`, bytes);
    expect(await redis.getBuffer(`${prefix}bin`)).toEqual(bytes);
    expect(await redis.get(`${prefix}missing`)).toBeNull();
    await redis.set(`${prefix}ttl`, 'x', 'PX', 100);
    await waitFor(async () => (await redis.get(`${prefix}ttl`)) === null, { timeoutMs: 3000, what: 'the key to expire' });
  });

  it('runs MULTI/EXEC atomically and aborts it when a WATCHed key changes', async () => {
    const key = `${prefix}counter`;
    const results = await redis.multi().set(key, '10').incrby(key, 5).get(key).exec();
    expect(results).toEqual([[null, 'OK'], [null, 15], [null, '15']]);

    // Two clients race 50 increments each inside transactions: nothing is lost or interleaved.
    const other = client(server.url);
    await other.connect();
    try {
      const bump = (c: Redis) => c.multi().incr(key).incr(key).exec();
      await Promise.all(Array.from({ length: 25 }, (_, i) => bump(i % 2 ? redis : other)).concat(
        Array.from({ length: 25 }, (_, i) => bump(i % 2 ? other : redis)),
      ));
      expect(await redis.get(key)).toBe(String(15 + 100));

      // Optimistic locking: a write by another connection between WATCH and EXEC aborts the transaction.
      await redis.watch(key);
      await other.set(key, 'changed');
      const aborted = await redis.multi().set(key, 'mine').exec();
      expect(aborted).toBeNull();
      expect(await redis.get(key)).toBe('changed');
    } finally {
      other.disconnect();
    }
  });
});

describe('startRedis stop()', () => {
  if (external) {
    it('leaves an external REDIS_URL server running', async () => {
      const server = await startRedis();
      expect(server.external).toBe(true);
      await server.stop();
      const redis = client(server.url);
      try {
        await redis.connect();
        expect(await redis.ping()).toBe('PONG');
      } finally {
        redis.disconnect();
      }
    });
    return;
  }

  it('really stops the server: the process ends and new connections fail', async () => {
    const server = await startRedis();
    const redis = client(server.url);
    await redis.connect();
    await redis.set('before-stop', '1');
    const pid = server.pid!;
    expect(processExists(pid)).toBe(true);

    await server.stop();

    expect(processExists(pid)).toBe(false);
    expect(await canConnect(server.port)).toBe(false);
    await expect(redis.get('before-stop')).rejects.toThrow();
    redis.disconnect();
    const fresh = client(server.url);
    const errors: Error[] = [];
    fresh.on('error', (err: Error) => errors.push(err));
    await expect(fresh.connect()).rejects.toThrow();
    expect(errors.map((e) => e.message).join('\n')).toMatch(/ECONNREFUSED/);
    fresh.disconnect();
    await server.stop(); // idempotent
  });

  it('starts independent servers on distinct ports, each with its own data', async () => {
    const [a, b] = await Promise.all([startRedis(), startRedis()]);
    const ca = client(a.url);
    const cb = client(b.url);
    try {
      expect(a.port).not.toBe(b.port);
      await Promise.all([ca.connect(), cb.connect()]);
      await ca.set('k', 'a');
      expect(await cb.get('k')).toBeNull();
    } finally {
      ca.disconnect();
      cb.disconnect();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('startRedis without redis-server', () => {
  it('explains how to install it', async () => {
    await expect(startRedis({ useEnv: false, command: 'redis-server-that-does-not-exist' })).rejects.toThrow(
      'install it: apt-get install -y redis-server',
    );
  });
});
