import Redis, { type RedisOptions } from 'ioredis';
import {
  forEachNetWrite,
  positionFromText,
  positionText,
  ProjectionConflictError,
  ProjectionStoreError,
  requireGeneration,
  requireName,
  samePosition,
  validateBatch,
  type Checkpoint,
  type CommitBatch,
  type Doc,
  type GenerationReader,
  type ProjectionGenerations,
  type ProjectionStore,
} from './port';

export interface RedisProjectionStoreConfig {
  /** `redis://[user:password@]host:port[/db]`; ignored when `client` is given. */
  readonly url?: string;
  /** An existing client to read through; the store duplicates it for its writes. The caller keeps ownership. */
  readonly client?: Redis;
  /** Extra ioredis options for the connections the store opens itself. */
  readonly options?: RedisOptions;
  /** Prefix of every key, so several nodes or tests can share one Redis. Default `corridor:proj`. */
  readonly prefix?: string;
}

const PREFIX = /^[A-Za-z0-9:_.-]{1,100}$/;
const SCAN_COUNT = 1000;

/**
 * The scaled projection store: read models in Redis, so any number of API replicas read what one projection
 * writer commits (spec/projections.md §4.2). Keys of one generation share the hash tag
 * `{<projection>:<generation>}`, so a commit's MULTI stays inside one slot on Redis Cluster too.
 *
 * Commits are optimistic transactions: WATCH the generation's meta hash, check the checkpoint is the one the
 * batch continues from, then MULTI … EXEC; a concurrent writer makes EXEC fail and the commit throws
 * `ProjectionConflictError` with nothing written. WATCH is per connection, so commits go through one dedicated
 * connection, one at a time.
 */
export class RedisProjectionStore implements ProjectionStore {
  readonly backend = 'redis' as const;
  readonly copiesBatchOnCommit = true;
  readonly prefix: string;
  private readonly reads: Redis;
  private readonly writes: Redis;
  private readonly ownsReads: boolean;
  private writeQueue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(config: RedisProjectionStoreConfig) {
    this.prefix = config.prefix ?? 'corridor:proj';
    if (!PREFIX.test(this.prefix)) throw new TypeError(`invalid key prefix ${JSON.stringify(this.prefix)}`);
    if (config.client) {
      this.reads = config.client;
      this.ownsReads = false;
      this.writes = config.client.duplicate(config.options);
    } else {
      if (!config.url) throw new TypeError('a Redis projection store needs a url or a client');
      this.reads = new Redis(config.url, { maxRetriesPerRequest: 3, ...config.options });
      this.ownsReads = true;
      this.writes = this.reads.duplicate();
    }
  }

  static async connect(config: RedisProjectionStoreConfig): Promise<RedisProjectionStore> {
    const store = new RedisProjectionStore(config);
    try {
      await Promise.all([ready(store.reads), ready(store.writes)]);
    } catch (e) {
      await store.close();
      throw new ProjectionStoreError(`cannot reach Redis: ${(e as Error).message}`, { cause: e });
    }
    return store;
  }

  /** `<prefix>:{<projection>}:generations`: hash of `active`, `max` and `g:<n>` (created at, epoch ms). */
  generationsKey(projection: string): string {
    return `${this.prefix}:{${requireName(projection, 'projection')}}:generations`;
  }

  /** `<prefix>:{<projection>:<generation>}`: the common part of every key of a generation. */
  generationBase(projection: string, generation: number): string {
    return `${this.prefix}:{${requireName(projection, 'projection')}:${requireGeneration(generation)}}`;
  }

  async generations(projection: string): Promise<ProjectionGenerations> {
    this.assertOpen();
    const h = await this.reads.hgetall(this.generationsKey(projection));
    const all = Object.keys(h)
      .filter((k) => k.startsWith('g:'))
      .map((k) => Number(k.slice(2)))
      .sort((a, b) => a - b);
    return { active: h.active === undefined ? undefined : Number(h.active), all };
  }

  async createGeneration(projection: string): Promise<number> {
    this.assertOpen();
    const key = this.generationsKey(projection);
    return this.serialized(async () => {
      const generation = await this.writes.hincrby(key, 'max', 1);
      await this.writes
        .multi()
        .hset(`${this.generationBase(projection, generation)}:meta`, 'events', '0')
        .hset(key, `g:${generation}`, String(Date.now()))
        .exec();
      return generation;
    });
  }

  async activate(projection: string, generation: number, expected: number | undefined): Promise<void> {
    this.assertOpen();
    requireGeneration(generation);
    const key = this.generationsKey(projection);
    await this.serialized(async () => {
      await this.writes.watch(key);
      try {
        const [active, exists] = await this.writes.hmget(key, 'active', `g:${generation}`);
        const current = active === null ? undefined : Number(active);
        if (current !== expected) throw new ProjectionConflictError(`${projection}: active generation is ${current ?? 'none'}, not ${expected ?? 'none'}`);
        if (exists === null) throw new ProjectionStoreError(`${projection}: generation ${generation} does not exist`);
      } catch (e) {
        await this.writes.unwatch();
        throw e;
      }
      const result = await this.writes.multi().hset(key, 'active', String(generation)).exec();
      if (result === null) throw new ProjectionConflictError(`${projection}: the active generation changed during the swap`);
      throwExecErrors(result);
    });
  }

  async dropGeneration(projection: string, generation: number): Promise<void> {
    this.assertOpen();
    requireGeneration(generation);
    const key = this.generationsKey(projection);
    await this.serialized(async () => {
      const active = await this.writes.hget(key, 'active');
      if (active !== null && Number(active) === generation) throw new ProjectionStoreError(`${projection}: generation ${generation} is active and cannot be dropped`);
      await this.writes.hdel(key, `g:${generation}`);
      const base = this.generationBase(projection, generation);
      let cursor = '0';
      do {
        const [next, keys] = await this.writes.scan(cursor, 'MATCH', `${escapeGlob(base)}:*`, 'COUNT', SCAN_COUNT);
        cursor = next;
        if (keys.length > 0) await this.writes.unlink(...keys);
      } while (cursor !== '0');
    });
  }

  reader(projection: string, generation: number): GenerationReader {
    const base = this.generationBase(projection, generation);
    const r = () => {
      this.assertOpen();
      return this.reads;
    };
    const doc = (c: string) => `${base}:doc:${requireName(c, 'collection')}`;
    const idx = (c: string, field: string, value: string) => `${base}:idx:${requireName(c, 'collection')}:${requireName(field, 'index field')}:${value}`;
    const parse = (text: string | null): Doc | undefined => (text === null ? undefined : (JSON.parse(text) as Doc));
    return {
      projection,
      generation,
      checkpoint: async () => {
        const h = await r().hgetall(`${base}:meta`);
        return checkpointOf(h);
      },
      streamSequence: async (stream) => {
        const v = await r().hget(`${base}:streams`, stream);
        return v === null ? undefined : Number(v);
      },
      streamSequences: async (streams) => {
        if (streams.length === 0) return [];
        const vs = await r().hmget(`${base}:streams`, ...streams);
        return vs.map((v) => (v === null ? undefined : Number(v)));
      },
      streams: async () => {
        const out = new Map<string, number>();
        await hscanAll(r(), `${base}:streams`, (k, v) => out.set(k, Number(v)));
        return out;
      },
      get: async (collection, key) => parse(await r().hget(doc(collection), key)),
      getMany: async (collection, keys) => {
        if (keys.length === 0) return [];
        return (await r().hmget(doc(collection), ...keys)).map(parse);
      },
      keysBy: async (collection, field, value, options = {}) => {
        const min = options.after === undefined ? '-' : `(${options.after}`;
        if (options.limit === undefined) return r().zrangebylex(idx(collection, field, value), min, '+');
        return r().zrangebylex(idx(collection, field, value), min, '+', 'LIMIT', 0, options.limit);
      },
      countBy: async (collection, field, value) => r().zcard(idx(collection, field, value)),
      entries: async (collection) => {
        const out: [string, Doc][] = [];
        await hscanAll(r(), doc(collection), (k, v) => out.push([k, JSON.parse(v) as Doc]));
        return out;
      },
      count: async (collection) => r().hlen(doc(collection)),
    };
  }

  async commit(projection: string, generation: number, batch: CommitBatch): Promise<void> {
    this.assertOpen();
    validateBatch(batch);
    const base = this.generationBase(projection, generation);
    const metaKey = `${base}:meta`;
    // Every command is built (documents serialized) before the first await: the caller may change the batch's
    // documents as soon as this returns (copiesBatchOnCommit).
    const commands = commitCommands(base, batch);
    const expected = batch.expected;
    const metaFields = { ...batch.meta, position: positionText(batch.position), events: String(batch.events) };
    await this.serialized(async () => {
      await this.writes.watch(metaKey);
      let m;
      try {
        const [position, events] = await this.writes.hmget(metaKey, 'position', 'events');
        if (events === null) throw new ProjectionStoreError(`${projection}: generation ${generation} does not exist`);
        const current = positionFromText(position);
        if (!samePosition(current, expected)) {
          throw new ProjectionConflictError(
            `${projection} generation ${generation}: checkpoint is ${positionText(current) || 'empty'}, the batch continues from ${positionText(expected) || 'empty'}`,
          );
        }
        m = this.writes.multi();
        for (const [command, key, args] of commands) m[command](key, ...args);
        m.hset(metaKey, metaFields);
      } catch (e) {
        await this.writes.unwatch();
        throw e;
      }
      const result = await m.exec();
      if (result === null) throw new ProjectionConflictError(`${projection} generation ${generation}: another writer committed meanwhile`);
      throwExecErrors(result);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeQueue.catch(() => undefined);
    await quit(this.writes);
    if (this.ownsReads) await quit(this.reads);
  }

  /** Runs write operations one at a time on the write connection (WATCH state is per connection). */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writeQueue.then(fn, fn);
    this.writeQueue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new ProjectionStoreError('the projection store is closed');
  }
}

type CommitCommand = readonly ['hset' | 'hdel' | 'zadd' | 'zrem', string, string[]];

/**
 * A batch's document and index changes as Redis commands: one HSET/HDEL per collection, one ZADD/ZREM per index
 * value (in chunks), the stream heads. Removals first, as they are independent of the additions.
 */
function commitCommands(base: string, batch: CommitBatch): CommitCommand[] {
  const hset = new Map<string, string[]>();
  const hdel = new Map<string, string[]>();
  const zadd = new Map<string, string[]>();
  const zrem = new Map<string, string[]>();
  const listOf = (map: Map<string, string[]>, key: string): string[] => {
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    return list;
  };
  const docKeys = new Map<string, string>();
  const docKey = (collection: string): string => {
    let k = docKeys.get(collection);
    if (k === undefined) docKeys.set(collection, (k = `${base}:doc:${collection}`));
    return k;
  };
  forEachNetWrite(batch.writes, {
    doc: (collection, key, doc, json) => {
      if (doc === undefined) listOf(hdel, docKey(collection)).push(key);
      else listOf(hset, docKey(collection)).push(key, json ?? JSON.stringify(doc));
    },
    indexRemoved: (collection, key, field, value) => listOf(zrem, `${base}:idx:${collection}:${field}:${value}`).push(key),
    indexAdded: (collection, key, field, value) => listOf(zadd, `${base}:idx:${collection}:${field}:${value}`).push('0', key),
  });
  const out: CommitCommand[] = [];
  for (const [key, items] of hdel) for (const part of chunks(items, 1000)) out.push(['hdel', key, part]);
  for (const [key, items] of zrem) for (const part of chunks(items, 1000)) out.push(['zrem', key, part]);
  for (const [key, items] of hset) for (const part of chunks(items, 2000)) out.push(['hset', key, part]);
  for (const [key, items] of zadd) for (const part of chunks(items, 2000)) out.push(['zadd', key, part]);
  if (batch.streams.size > 0) {
    const flat: string[] = [];
    for (const [stream, sequence] of batch.streams) flat.push(stream, String(sequence));
    for (const part of chunks(flat, 2000)) out.push(['hset', `${base}:streams`, part]);
  }
  return out;
}

/** Splits a flat argument list into parts of at most `size` items (sizes are even, so pairs stay together). */
function chunks(items: string[], size: number): string[][] {
  if (items.length <= size) return [items];
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function checkpointOf(h: Record<string, string>): Checkpoint {
  const meta: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (k !== 'position' && k !== 'events') meta[k] = v;
  return { position: positionFromText(h.position), events: h.events === undefined ? 0 : Number(h.events), meta };
}

function throwExecErrors(result: [Error | null, unknown][]): void {
  const failed = result.find(([err]) => err !== null);
  if (failed) throw new ProjectionStoreError(`Redis refused part of a commit: ${failed[0]!.message}`, { cause: failed[0] });
}

async function hscanAll(client: Redis, key: string, each: (field: string, value: string) => void): Promise<void> {
  let cursor = '0';
  do {
    const [next, flat] = await client.hscan(key, cursor, 'COUNT', SCAN_COUNT);
    cursor = next;
    for (let i = 0; i < flat.length; i += 2) each(flat[i]!, flat[i + 1]!);
  } while (cursor !== '0');
}

/** Escapes the glob characters of a literal key part for SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

async function ready(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') {
    await client.connect();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onEnd = () => {
      cleanup();
      reject(new Error('connection closed'));
    };
    const cleanup = () => {
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
    };
    client.once('ready', onReady);
    client.once('error', onError);
    client.once('end', onEnd);
  });
}

async function quit(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}
