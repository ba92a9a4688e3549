'use strict';
// bench/projections: the projection core on this machine, on SQLite and on Redis.
// Run: node bench/projections/run.js [--events 1000000] [--queries 20000] [--no-redis]
// Uses the compiled libraries (npm install builds them; or npx tsc -b tsconfig.build.json).
// Redis: REDIS_URL, or a redis-server started here on a free loopback port (apt-get install -y redis-server).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { spawn } = require('node:child_process');
const c = require('@corridor/compliance');
const { SqliteEventStore } = require('@corridor/ledger');
const { machine, fmt, percentile } = require('../harness');
const { synthesize } = require('./synthesize');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const EVENTS = arg('events', 1_000_000);
const QUERIES = arg('queries', 20_000);
const WITH_REDIS = !args.includes('--no-redis');
const CACHE = path.join(os.tmpdir(), 'corridor-bench');
const SUBJECTS = 10_000;
let WORK = '';

const line = (name, value, unit, target) => console.log(`${name.padEnd(64)} ${value.padStart(12)} ${unit}${target ? `   target ${target}` : ''}`);
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
/** CPU seconds (user + system, all threads) this process used since `c0` (process.cpuUsage()). */
const cpuSeconds = (c0) => {
  const u = process.cpuUsage(c0);
  return (u.user + u.system) / 1e6;
};
/** Wall time alone depends on what else the (shared) machine runs: each timed figure also gives the CPU it took. */
const cpuNote = (cpu, wall, events) => `  (${cpu.toFixed(1)} CPU s of ${wall.toFixed(1)} s wall${events ? `: ${fmt(events / cpu)} events per CPU second` : ''}; load ${os.loadavg()[0].toFixed(1)})`;

async function ledgerFile() {
  fs.mkdirSync(CACHE, { recursive: true });
  const file = path.join(CACHE, `ledger-${EVENTS}-v2.db`);
  const marker = `${file}.complete`;
  if (fs.existsSync(file) && fs.existsSync(marker)) return { file, reused: true };
  const t0 = process.hrtime.bigint();
  const r = await synthesize(file, EVENTS, { subjects: SUBJECTS });
  fs.writeFileSync(marker, JSON.stringify(r));
  console.log(`synthesised ${fmt(r.events)} events in ${fmt(r.streams)} streams into ${file} in ${seconds(t0).toFixed(1)} s`);
  return { file, reused: false };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function redisServer() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-bench-redis-'));
  const child = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await new Promise((resolve, reject) => {
    child.once('error', reject);
    const deadline = Date.now() + 5000;
    const poll = () => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve();
      });
      s.on('error', () => (Date.now() > deadline ? reject(new Error('redis-server did not start')) : setTimeout(poll, 20)));
    };
    poll();
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds `projections` from the whole log into an empty store; returns the time and the host (still running). */
async function build(events, store, projections) {
  const host = new c.ProjectionHost({ events, store, projections, batch: { maxBatchEvents: 100_000, maxBatchMs: 10_000 } });
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  await host.start();
  await host.caughtUp();
  return { host, seconds: seconds(t0), cpu: cpuSeconds(c0) };
}

/**
 * A fold context that keeps documents in memory: the fold without any storage. An index is built when it is
 * first queried (the tensor queries only the attestation-digest index, to revoke) and then kept by difference;
 * an index value maps to its key, or to a set of keys once it has several.
 */
class MemoryFoldContext {
  constructor(collections) {
    this.collections = collections;
    /** collection → key → doc */
    this.docs = new Map();
    /** collection → field → value → key | Set of keys, for the indexes queried so far */
    this.index = new Map();
  }
  of(map, k) {
    let m = map.get(k);
    if (!m) map.set(k, (m = new Map()));
    return m;
  }
  async get(c, k) {
    return this.docs.get(c)?.get(k);
  }
  static add(byValue, v, k) {
    const cur = byValue.get(v);
    if (cur === undefined) byValue.set(v, k);
    else if (typeof cur === 'string') {
      if (cur !== k) byValue.set(v, new Set([cur, k]));
    } else cur.add(k);
  }
  static remove(byValue, v, k) {
    const cur = byValue.get(v);
    if (cur === k) byValue.delete(v);
    else if (cur instanceof Set) cur.delete(k);
  }
  reindex(c, k, old, doc) {
    const byField = this.index.get(c);
    if (!byField) return;
    const def = this.collections[c];
    const before = old === undefined ? {} : def.index(old, k);
    const after = doc === undefined ? {} : def.index(doc, k);
    for (const [f, byValue] of byField) {
      const was = before[f] ?? [];
      const now = after[f] ?? [];
      for (const v of was) if (!now.includes(v)) MemoryFoldContext.remove(byValue, v, k);
      for (const v of now) if (!was.includes(v)) MemoryFoldContext.add(byValue, v, k);
    }
  }
  put(c, k, doc) {
    const docs = this.of(this.docs, c);
    this.reindex(c, k, docs.get(k), doc);
    docs.set(k, doc);
  }
  create(c, k, doc) {
    this.put(c, k, doc);
  }
  delete(c, k) {
    const docs = this.of(this.docs, c);
    this.reindex(c, k, docs.get(k), undefined);
    docs.delete(k);
  }
  async keysBy(c, f, v) {
    const byField = this.of(this.index, c);
    let byValue = byField.get(f);
    if (!byValue) {
      byField.set(f, (byValue = new Map()));
      const def = this.collections[c];
      for (const [k, doc] of this.docs.get(c) ?? []) for (const x of def.index(doc, k)[f] ?? []) MemoryFoldContext.add(byValue, x, k);
    }
    const keys = byValue.get(v);
    return keys === undefined ? [] : typeof keys === 'string' ? [keys] : [...keys].sort();
  }
}

/** Decode + map + fold + commitment every 100,000 events, all in memory: the tensor's own cost. */
async function foldInMemory(events, work) {
  const store = c.SqliteProjectionStore.open({ path: path.join(work, 'empty.db') });
  const g = await store.createGeneration('compliance_tensor');
  const def = c.complianceTensorProjection();
  const handler = await def.open(store.reader('compliance_tensor', g));
  const tx = new MemoryFoldContext(def.collections);
  let n = 0;
  let commitment;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (let from = 1; ; from += 1000) {
    const page = events.readAllSync(from, 1000);
    if (page.length === 0) break;
    for (const e of page) {
      const r = handler.fold(c.decodeStoredEvent(e), tx);
      if (r !== undefined) await r;
      if (++n % 100_000 === 0) commitment = handler.meta().commitment;
    }
  }
  commitment = handler.meta().commitment;
  const s = seconds(t0);
  const cpu = cpuSeconds(c0);
  await store.close();
  return { rate: n / s, commitment, seconds: s, cpu, events: n };
}

async function queryLatencies(store) {
  const q = new c.TensorQueries(store);
  const { commitment } = await q.commitment();
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const kinds = {
    'cell': () => q.cell({ subject: `entity-${Math.floor(rnd() * SUBJECTS)}`, jurisdiction: rnd() < 0.5 ? 'pk' : 'ae', domain: 'kyc' }, '2025-06-01T00:00:00Z'),
    'slice (subject, jurisdiction): 20 domains': () => q.slice({ subject: `entity-${Math.floor(rnd() * SUBJECTS)}`, jurisdiction: 'ae' }, '2025-06-01T00:00:00Z'),
    'cross-border check, 20 domains': () => q.crossBorder(`entity-${Math.floor(rnd() * SUBJECTS)}`, 'pk', 'ae', '2025-06-01T00:00:00Z'),
  };
  const out = {};
  for (const [name, fn] of Object.entries(kinds)) {
    for (let i = 0; i < 200; i++) await fn(); // warm-up
    const samples = [];
    for (let i = 0; i < QUERIES / 2; i++) {
      const t0 = process.hrtime.bigint();
      const r = await fn();
      samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.tensor.commitment !== commitment) throw new Error('a query read another commitment');
    }
    samples.sort((a, b) => a - b);
    out[name] = { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  }
  return out;
}

async function backend(name, events, open) {
  console.log(`\n── ${name} ──`);
  const results = {};
  if (name.startsWith('SQLite')) {
    const mem = await foldInMemory(events, WORK);
    line('fold into the tensor in memory (read + decode + map + fold + commitment)', fmt(mem.rate), 'events/s', '≥ 50,000/s');
    console.log(cpuNote(mem.cpu, mem.seconds, mem.events));
    results.memoryCommitment = mem.commitment;
  }
  {
    const store = await open();
    const { host, seconds: s, cpu } = await build(events, store, [c.complianceTensorProjection()]);
    const p = host.projection('compliance_tensor');
    line('fold into the tensor and persist it (tensor projection alone)', fmt(p.events / s), 'events/s', '≥ 50,000/s');
    console.log(cpuNote(cpu, s, p.events));
    line('  of which compliance, sanctions and licence transitions', fmt(((p.events * 0.75) | 0) / s), 'transitions/s (≈75 % of events)');
    line('  cells in the tensor', fmt(Number(p.meta.cell_count)), 'cells');
    results.tensorCommitment = p.meta.commitment;
    if (results.memoryCommitment !== undefined && results.memoryCommitment !== p.meta.commitment) throw new Error('the in-memory fold and the projection disagree on the commitment');
    await host.stop();
    await store.close();
  }
  const store = await open();
  const { host, seconds: s, cpu } = await build(events, store, c.defaultProjections());
  line(`rebuild all 5 projections from ${fmt(EVENTS)} events`, s.toFixed(1), 's', '< 60 s');
  console.log(cpuNote(cpu, s, EVENTS));
  line('  throughput', fmt(EVENTS / s), 'events/s');
  const tensor = host.projection('compliance_tensor');
  if (tensor.meta.commitment !== results.tensorCommitment) throw new Error('two builds of the tensor disagree on the commitment');
  const lat = await queryLatencies(store);
  for (const [k, v] of Object.entries(lat)) line(`tensor query p50 / p99: ${k}`, `${v.p50.toFixed(3)} / ${v.p99.toFixed(3)}`, 'ms', 'p99 < 5 ms');
  const t0 = process.hrtime.bigint();
  const rebuilt = await host.rebuild(['compliance_tensor']);
  line('rebuild the tensor side by side and swap (live keeps serving)', seconds(t0).toFixed(1), 's');
  if (rebuilt[0].meta.commitment !== results.tensorCommitment) throw new Error('the rebuilt tensor commitment differs from the live one');
  line('  rebuilt commitment equals the live one', rebuilt[0].meta.commitment.slice(0, 16) + '…', '✓');
  await host.stop();
  await store.close();
  return results;
}

async function main() {
  console.log(`machine: ${machine()}`);
  const { file } = await ledgerFile();
  const events = SqliteEventStore.open({ path: file, durability: 'normal' });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-bench-proj-'));
  WORK = work;
  let n = 0;
  try {
    const sqlite = await backend('SQLite projection store (WAL file)', events, async () => c.SqliteProjectionStore.open({ path: path.join(work, `p${++n}.db`) }));
    if (WITH_REDIS) {
      const server = await redisServer();
      try {
        const redis = await backend(`Redis projection store (${server.url})`, events, async () => {
          const store = await c.RedisProjectionStore.connect({ url: server.url, prefix: `bench:${process.pid}:${++n}` });
          return store;
        });
        if (redis.tensorCommitment !== sqlite.tensorCommitment) throw new Error('SQLite and Redis tensors disagree on the commitment');
        console.log(`\nSQLite and Redis tensors have the same commitment ${sqlite.tensorCommitment}`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    await events.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
