import Redis from 'ioredis';
import type { RateLimit } from './access-matrix';

/** A token bucket's answer: go ahead, or wait this many milliseconds for the next token. */
export type RateDecision = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

const OK: RateDecision = { ok: true };

/** Per-principal token buckets, taken after authentication (spec/security.md §4). */
export interface RateLimiter {
  readonly store: 'memory' | 'redis';
  /** Takes one token from `key`'s bucket; synchronous for the in-process store. */
  take(key: string, limit: RateLimit): RateDecision | Promise<RateDecision>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Buckets in this process: exact, no I/O. Keys are authenticated principals, so their number is bounded. */
export class MemoryRateLimiter implements RateLimiter {
  readonly store = 'memory' as const;
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  take(key: string, limit: RateLimit): RateDecision {
    if (limit.perSecond === 0) return OK;
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: limit.burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(limit.burst, b.tokens + ((now - b.at) * limit.perSecond) / 1000);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return OK;
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) * 1000) / limit.perSecond) };
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/**
 * One atomic step of a token bucket kept in a Redis hash, on the server's clock (replicas sharing the Redis share
 * the buckets and need no clock agreement). Returns {allowed, wait ms}.
 */
const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then tokens = burst; at = now end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(burst, tokens + elapsed * rate / 1000)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, wait}
`;

type TakingRedis = Redis & { corridorRateTake(key: string, rate: number, burst: number): Promise<[number, number]> };

/**
 * Buckets in Redis (`CORRIDOR_RATE_LIMIT_STORE=redis`, REDIS_URL): one script call per request. While Redis cannot
 * be reached the node limits with in-process buckets instead of refusing or waving requests through, and says so
 * in its log (at most once a minute).
 */
export class RedisRateLimiter implements RateLimiter {
  readonly store = 'redis' as const;
  private readonly fallback = new MemoryRateLimiter();
  private lastWarning = 0;

  private constructor(
    private readonly redis: TakingRedis,
    private readonly prefix: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Connects (failing when Redis does not answer PING within `timeoutMs`). */
  static async connect(options: { url: string; prefix?: string; warn: (message: string) => void; timeoutMs?: number }): Promise<RedisRateLimiter> {
    let connected = false;
    const redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: options.timeoutMs ?? 5000,
      commandTimeout: 1000,
      // No retries for the first connection (the node refuses to start instead); reconnect for ever afterwards.
      retryStrategy: (times) => (connected ? Math.min(times * 200, 2000) : null),
    }) as TakingRedis;
    redis.on('error', () => undefined); // surfaced per command (and then logged, throttled)
    redis.defineCommand('corridorRateTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    try {
      await redis.connect();
      await redis.ping();
      connected = true;
    } catch (e) {
      redis.disconnect();
      throw new Error(`rate limits: Redis at ${redactUrl(options.url)} does not answer: ${(e as Error).message}`);
    }
    return new RedisRateLimiter(redis, `${options.prefix ?? 'corridor'}:ratelimit:`, options.warn);
  }

  take(key: string, limit: RateLimit): Promise<RateDecision> | RateDecision {
    if (limit.perSecond === 0) return OK;
    return this.redis.corridorRateTake(this.prefix + key, limit.perSecond, limit.burst).then(
      ([allowed, wait]) => (Number(allowed) === 1 ? OK : { ok: false, retryAfterMs: Math.max(1, Number(wait)) }),
      (e: Error) => {
        const now = Date.now();
        if (now - this.lastWarning > 60_000) {
          this.lastWarning = now;
          this.warn(`rate limits: Redis unavailable (${e.message}); limiting with in-process buckets until it answers`);
        }
        return this.fallback.take(key, limit);
      },
    );
  }

  async close(): Promise<void> {
    if (this.redis.status !== 'ready') {
      this.redis.disconnect(); // reconnecting or gone: stop trying, nothing to flush
      return;
    }
    await Promise.race([this.redis.quit(), new Promise((r) => setTimeout(r, 1000).unref())]).catch(() => undefined);
    this.redis.disconnect();
  }
}

/** A Redis URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}
