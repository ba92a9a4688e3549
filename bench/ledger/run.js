'use strict';
// bench/ledger: sustained appends of signed receipts (build + sign + MMR + durable commit) on the SQLite adapter,
// one stream and 100 streams, next to the same workload through Emmett's SQLite event store (which neither signs
// nor hashes).
//
// Run: node bench/ledger/run.js [--seconds 10] [--rate 10000] [--workers 2] [--inflight 256] [--no-emmett] [--json]
// Uses the compiled libraries (npm install builds them; or npx tsc -b tsconfig.build.json).
//
// Two kinds of client, one event per append (appends/s = signed receipts/s):
// - offered rate (open loop): appends are issued on a fixed schedule (--rate per second, spread evenly, round robin
//   over the streams, each with the revision it will have) whether or not earlier ones were acknowledged. Latency is
//   measured from the scheduled time, so a store that falls behind shows it in its latency (no coordinated
//   omission). "Sustained" means the achieved rate equals the offered one over the whole run.
// - closed loop: a fixed number of appends in flight (--inflight), the next issued when one is acknowledged: the
//   most the store does. "One append at a time" is the closed loop with one in flight: the only client Emmett's store
//   supports, so both stores are also measured with it.
// Every workload runs in a fresh child process (so its peak memory is its own) on a fresh database file in the system
// temp directory, after a 1 s warm-up that is not counted. Durability: WAL + synchronous=FULL (fsync before every
// acknowledgement) for both stores. CPU µs/append is the CPU time of all the process's threads per append.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { machine, fmt, percentile, ed25519SignRate } = require('../harness');

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};

if (arg('workload', undefined) !== undefined) {
  runChild(JSON.parse(arg('workload'))).then(
    (result) => (process.send ? process.send(result, () => process.exit(0)) : (console.info(JSON.stringify(result)), process.exit(0))),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

async function main() {
  const seconds = Number(arg('seconds', 10));
  const rate = Number(arg('rate', 10000));
  const workers = Number(arg('workers', 2));
  const inflight = Number(arg('inflight', 256));
  const emmett = !args.includes('--no-emmett');
  console.log(`machine: ${machine()}`);
  console.log(`calibration: node:crypto Ed25519 signatures on one core right now: ${fmt(ed25519SignRate())}/s`);
  console.log(`each workload: ${seconds} s after a 1 s warm-up; fresh SQLite file; WAL + synchronous=FULL; one event per append`);
  console.log(`ledger: signing in ${workers} worker thread(s), commits in the store's writer thread\n`);

  const ledger = { store: 'ledger', workers, seconds };
  const workloads = [
    { ...ledger, name: `ledger, 1 stream, ${fmt(rate)}/s offered`, streams: 1, rate },
    { ...ledger, name: `ledger, 100 streams, ${fmt(rate)}/s offered`, streams: 100, rate },
    { ...ledger, name: `ledger, 1 stream, ${inflight} in flight`, streams: 1, inflight },
    { ...ledger, name: `ledger, 100 streams, ${inflight} in flight`, streams: 100, inflight },
    { ...ledger, name: 'ledger, 1 stream, one append at a time', streams: 1, inflight: 1 },
    { ...ledger, name: 'ledger, 100 streams, one append at a time', streams: 100, inflight: 1 },
  ];
  if (emmett) {
    // Emmett's SQLite store opens and closes its connection around every append (concurrent appends fail with
    // "SQLITE_MISUSE: Database is closed"), so it gets the one-at-a-time client.
    workloads.push({ name: 'emmett-sqlite, 1 stream, one append at a time', store: 'emmett', streams: 1, inflight: 1, seconds });
    workloads.push({ name: 'emmett-sqlite, 100 streams, one append at a time', store: 'emmett', streams: 100, inflight: 1, seconds });
  }

  const header = `${'workload'.padEnd(46)} ${'appends/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'peak RSS'.padStart(9)} ${'CPU µs/append'.padStart(14)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  const results = [];
  for (const w of workloads) {
    const r = await inChild(w);
    results.push({ ...w, ...r });
    console.log(
      `${w.name.padEnd(46)} ${fmt(r.rate).padStart(10)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.max.toFixed(1).padStart(8)} ${`${Math.round(r.peakRss / 2 ** 20)} MiB`.padStart(9)} ${fmt(r.cpuPerAppend).padStart(14)}${r.retried ? `   (${r.retried} SQLITE_BUSY failures retried)` : ''}`,
    );
  }
  console.log('');
  const check = (ok, text) => console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  for (const streams of [1, 100]) {
    const offered = results.find((r) => r.store === 'ledger' && r.streams === streams && r.rate !== undefined && r.offered);
    check(offered.rate >= 0.99 * rate && rate >= 10000, `${streams} stream(s): sustains ${fmt(rate)} signed receipts/s offered (achieved ${fmt(offered.rate)}/s)`);
    check(offered.p99 < 20, `${streams} stream(s): p99 append latency < 20 ms at that rate (${offered.p99.toFixed(2)} ms)`);
  }
  if (emmett) {
    for (const streams of [1, 100]) {
      const em = results.find((r) => r.store === 'emmett' && r.streams === streams);
      const same = results.find((r) => r.store === 'ledger' && r.streams === streams && r.inflight === 1);
      const best = results.find((r) => r.store === 'ledger' && r.streams === streams && r.inflight > 1);
      check(same.rate > em.rate, `${streams} stream(s), same one-at-a-time client: ledger ${fmt(same.rate)}/s vs Emmett ${fmt(em.rate)}/s`);
      check(best.rate > em.rate, `${streams} stream(s), each at its best: ledger ${fmt(best.rate)}/s vs Emmett ${fmt(em.rate)}/s`);
    }
  }
  if (args.includes('--json')) console.log(JSON.stringify(results, null, 2));
}


function inChild(workload) {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--workload', JSON.stringify(workload)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result;
    child.on('message', (m) => (result = m));
    child.on('exit', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`workload ${workload.name} failed (exit ${code})`))));
  });
}

/** A corridor transition of realistic size (~300 bytes of payload). */
function transition(n) {
  return {
    type: 'corridor.transition-recorded.v1',
    data: {
      kind: 'trade.invoice.issued.v1',
      invoice: `INV-${n}`,
      amount: `${(n % 99991) + 1}.25`,
      currency: 'USD',
      exporter: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK',
      importer: 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG',
      incoterm: 'FOB',
    },
  };
}

async function runChild(w) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-bench-ledger-'));
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
  try {
    const driver = w.store === 'ledger' ? await ledgerDriver(dir, w) : await emmettDriver(dir);
    const result = w.rate ? await driveOffered(driver, w) : await driveClosed(driver, w);
    await driver.close();
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (driver.retried) result.retried = driver.retried;
    return { ...result, peakRss };
  } finally {
    clearInterval(sampler);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function ledgerDriver(dir, w) {
  const { SqliteEventStore, ReceiptChainWriter, NO_STREAM, corridorChainProfile } = require('@corridor/ledger');
  const { Ed25519KeyPair, sha256Hex } = require('@corridor/protocol');
  const store = SqliteEventStore.open({ path: path.join(dir, 'ledger.sqlite'), durability: 'full' });
  const key = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 1), 'bench');
  const writer = new ReceiptChainWriter(store, key, { signingWorkers: w.workers });
  const profiles = Array.from({ length: w.streams }, (_, s) =>
    corridorChainProfile({ corridorId: `bench-${s}`, genesisRoot: sha256Hex(`genesis-${s}`), lawpackDigestSet: [sha256Hex('lawpack')], rulesetDigestSet: [sha256Hex('ruleset')] }),
  );
  const t0 = Date.UTC(2026, 0, 1) / 1000;
  return {
    append: (s, n) => {
      const e = transition(n);
      return writer.append(`corridor-bench-${s}`, profiles[s], [{ ...e, at: new Date((t0 + n) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') }], n === 0 ? NO_STREAM : n - 1);
    },
    close: async () => {
      await writer.close();
      await store.close();
    },
  };
}

async function emmettDriver(dir) {
  // Emmett logs every failed transaction with console.log; this child reports through IPC, so keep stdout quiet.
  console.log = () => undefined;
  const { getSQLiteEventStore } = require('@event-driven-io/emmett-sqlite');
  const es = getSQLiteEventStore({ fileName: path.join(dir, 'emmett.sqlite'), schema: { autoMigration: 'CreateOrUpdate' } });
  const versions = new Map();
  const driver = {
    retried: 0,
    append: async (s, n) => {
      const stream = `corridor-bench-${s}`;
      const v = versions.get(stream);
      // Emmett's store sometimes fails a commit with SQLITE_BUSY ("SQL statements in progress"); the append did not
      // happen, so it is retried (and counted) rather than ending the run.
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await es.appendToStream(stream, [transition(n)], n === 0 ? undefined : { expectedStreamVersion: v });
          versions.set(stream, r.nextExpectedStreamVersion);
          return;
        } catch (e) {
          if (attempt >= 10 || !/SQLITE_BUSY/.test(String(e && e.message))) throw e;
          driver.retried++;
        }
      }
    },
    close: async () => undefined,
  };
  return driver;
}

/** Starts measuring: wall clock, CPU of every thread, event-loop use. */
function meter() {
  const t = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  return (count, latencies) => {
    const elapsed = Number(process.hrtime.bigint() - t) / 1e9;
    const used = process.cpuUsage(cpu);
    latencies.sort((a, b) => a - b);
    return {
      rate: count / elapsed,
      count,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1],
      cpuPerAppend: (used.user + used.system) / count,
    };
  };
}

/**
 * Open loop: `rate` appends per second on a fixed schedule, round robin over the streams; each append's latency runs
 * from its scheduled time to its acknowledgement. The first second is warm-up.
 */
async function driveOffered(driver, w) {
  const next = new Array(w.streams).fill(0);
  const latencies = [];
  let failure;
  let measuring = false;
  let count = 0;
  let issued = 0;
  let stop;
  const start = performance.now();
  const warmEnd = start + 1000;
  const end = warmEnd + w.seconds * 1000;
  const pending = new Set();
  let measureFrom;
  await new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!measuring && now >= warmEnd) {
        measuring = true;
        measureFrom = meter();
      }
      const due = Math.min(Math.floor(((Math.min(now, end) - start) / 1000) * w.rate), Math.ceil(((end - start) / 1000) * w.rate));
      while (issued < due) {
        const scheduled = start + (issued / w.rate) * 1000;
        const s = issued % w.streams;
        const n = next[s]++;
        issued++;
        const counted = scheduled >= warmEnd;
        const p = driver.append(s, n).then(
          () => {
            const acked = performance.now();
            if (counted) latencies.push(acked - scheduled);
            if (counted && acked <= end) count++; // acknowledged within the window: what the store kept up with
          },
          (e) => (failure ??= e),
        );
        pending.add(p);
        void p.finally(() => pending.delete(p));
      }
      if (now >= end || failure) {
        clearInterval(stop);
        resolve();
      }
    };
    stop = setInterval(tick, 1);
  });
  // The rate is what was acknowledged within the window; appends still queued at its end only add to the latencies.
  const result = measureFrom(count, latencies);
  await Promise.all(pending);
  if (failure) throw failure;
  latencies.sort((a, b) => a - b);
  return { ...result, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1], offered: w.rate };
}

/**
 * Closed loop: `streams` producers (one per stream, or one round robin when fewer appends are in flight than there
 * are streams), each keeping its share of `inflight` appends in flight with predicted revisions.
 */
async function driveClosed(driver, w) {
  const perStream = Math.max(1, Math.floor(w.inflight / w.streams));
  const producers = w.inflight >= w.streams ? w.streams : w.inflight;
  const next = new Array(w.streams).fill(0);
  const latencies = [];
  let measuring = false;
  let count = 0;
  let measureFrom;
  const warmEnd = Date.now() + 1000;
  const end = warmEnd + w.seconds * 1000;

  const one = async (s) => {
    const n = next[s]++;
    const t = process.hrtime.bigint();
    await driver.append(s, n);
    if (measuring) {
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      count++;
    }
  };

  const producer = async (first) => {
    let s = first;
    let active = 0;
    let failure;
    let wake = () => undefined;
    for (;;) {
      const now = Date.now();
      if (!measuring && now >= warmEnd) {
        measuring = true;
        measureFrom = meter();
      }
      if (failure) throw failure;
      if (now >= end) break;
      while (active < perStream) {
        active++;
        one(s).then(
          () => {
            active--;
            wake();
          },
          (e) => {
            failure = e;
            active--;
            wake();
          },
        );
        if (producers < w.streams) s = (s + producers) % w.streams;
      }
      await new Promise((resolve) => (wake = resolve));
    }
    while (active > 0) await new Promise((resolve) => (wake = resolve));
    if (failure) throw failure;
  };

  await Promise.all(Array.from({ length: producers }, (_, i) => producer(i)));
  return measureFrom(count, latencies);
}
