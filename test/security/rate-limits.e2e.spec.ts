/**
 * Rate limits per principal, after authentication: a token bucket per principal (in-process by default, in Redis
 * when configured, shared by the nodes using that Redis); an empty bucket answers 429 with Retry-After.
 */
import { Ed25519KeyPair, signRequest } from '@corridor/protocol';
import { MemoryRateLimiter, RedisRateLimiter } from '../../apps/node/src/security/rate-limiter';
import { startRedis, type RedisServer } from '../support/infra';
import { startTestNode, type TestNode } from '../support/node-harness';
import { AUDITOR_TOKEN, PROBLEM, principalsEnv, REGULATOR_TOKEN } from './security-fixture';

jest.setTimeout(90_000);

const asRegulator = { authorization: `Bearer ${REGULATOR_TOKEN}` };
const asAuditor = { authorization: `Bearer ${AUDITOR_TOKEN}` };

async function burst(node: TestNode, headers: Record<string, string>, n: number, path = '/node'): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await node.api('GET', path, undefined, headers)).status);
  return statuses;
}

describe('rate limits, in process', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ env: principalsEnv({ CORRIDOR_RATE_LIMITS: 'regulator=1:3,auditor=1:3' }) });
  });
  afterAll(async () => node?.close());

  it('a principal gets its burst, then 429 with Retry-After; others are not affected; refused requests cost nothing', async () => {
    // Denied requests (401, 403) take no token: nobody can spend another principal's budget.
    for (let i = 0; i < 5; i++) expect((await node.api('GET', '/peering/status', undefined, asRegulator)).status).toBe(403);
    expect(await burst(node, asRegulator, 3)).toEqual([200, 200, 200]);
    const limited = await node.api('GET', '/node', undefined, asRegulator);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ type: PROBLEM + 'rate-limited', status: 429 });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another principal has its own bucket; the operator's default limit is far away.
    expect(await burst(node, asAuditor, 3)).toEqual([200, 200, 200]);
    expect((await node.api('GET', '/node')).status).toBe(200);
    // A second later one token is back.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await burst(node, asRegulator, 2)).toEqual([200, 429]);
  });

  it('429s on the audited surfaces are on the audit trail', async () => {
    await burst(node, asRegulator, 5, '/regulator/dashboard');
    await new Promise((r) => setTimeout(r, 1100));
    const trail = await node.api('GET', '/audit/trail?decision=denied&limit=1000', undefined, asAuditor);
    expect(trail.body.items.some((e: any) => e.path === '/regulator/dashboard' && e.status === 429 && e.principal === 'sbp')).toBe(true);
  });

  it('the in-process bucket refills at its rate and never beyond its burst', () => {
    let t = 0;
    const limiter = new MemoryRateLimiter(() => t);
    const limit = { perSecond: 10, burst: 2 };
    expect([limiter.take('k', limit), limiter.take('k', limit), limiter.take('k', limit)].map((d) => d.ok)).toEqual([true, true, false]);
    expect(limiter.take('k', limit)).toEqual({ ok: false, retryAfterMs: 100 });
    t = 100;
    expect(limiter.take('k', limit).ok).toBe(true);
    t = 100_000;
    expect([limiter.take('k', limit), limiter.take('k', limit), limiter.take('k', limit)].map((d) => d.ok)).toEqual([true, true, false]);
    expect(limiter.take('unlimited', { perSecond: 0, burst: 0 }).ok).toBe(true);
  });
});

describe('rate limits in Redis (CORRIDOR_RATE_LIMIT_STORE=redis)', () => {
  let redis: RedisServer;
  let a: TestNode;
  let b: TestNode;
  const watcher = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 61), 'watcher');

  beforeAll(async () => {
    redis = await startRedis({ useEnv: false });
    const env = principalsEnv({ CORRIDOR_RATE_LIMIT_STORE: 'redis', REDIS_URL: redis.url, CORRIDOR_REDIS_PREFIX: `rl-test-${process.pid}`, CORRIDOR_RATE_LIMITS: 'regulator=1:4,watcher=1:2' });
    a = await startTestNode({ env });
    b = await startTestNode({ env });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    // ioredis leaves a 2 s timer behind when it disconnects from a Redis that is gone (it is, by the last test).
    await new Promise((r) => setTimeout(r, 2100));
  });

  it('two nodes sharing the Redis share a principal\'s bucket', async () => {
    expect([...(await burst(a, asRegulator, 2)), ...(await burst(b, asRegulator, 2))]).toEqual([200, 200, 200, 200]);
    const limited = await b.api('GET', '/node', undefined, asRegulator);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await a.api('GET', '/node', undefined, asRegulator)).status).toBe(429);
    expect((await a.api('GET', '/node', undefined, asAuditor)).status).toBe(200);
  });

  it('signed principals are limited by did, on every node', async () => {
    for (const n of [a, b]) {
      const r = await n.api('POST', '/watcher-bonds', { watcher_id: watcher.did, bond_id: 'bond-rl', amount: '10', currency: 'USDC', corridor_ids: ['org.example.rl'] });
      expect(r.status).toBe(201);
    }
    const statuses: number[] = [];
    for (const n of [a, b, a]) {
      const path = `/watcher-bonds/${watcher.did}`;
      statuses.push((await fetch(n.url + path, { headers: { authorization: signRequest({ method: 'GET', path }, watcher) } })).status);
    }
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('when Redis cannot be reached, the limiter falls back to in-process buckets (and says so), never failing a request', async () => {
    const warnings: string[] = [];
    const limiter = await RedisRateLimiter.connect({ url: redis.url, prefix: `fallback-${process.pid}`, warn: (m) => warnings.push(m) });
    try {
      expect((await limiter.take('k', { perSecond: 1, burst: 1 })).ok).toBe(true);
      await redis.stop();
      const decisions = [await limiter.take('x', { perSecond: 1, burst: 1 }), await limiter.take('x', { perSecond: 1, burst: 1 })];
      expect(decisions.map((d) => d.ok)).toEqual([true, false]);
      expect(warnings.join('\n')).toMatch(/Redis unavailable.*in-process buckets/);
    } finally {
      await limiter.close();
    }
    await expect(RedisRateLimiter.connect({ url: redis.url, warn: () => undefined, timeoutMs: 500 })).rejects.toThrow(/does not answer/);
  });
});
