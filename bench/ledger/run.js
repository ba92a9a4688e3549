'use strict';
// bench/ledger: sustained appends of signed receipts (build + sign + MMR + durable commit) on the SQLite adapter,
// one stream and 100 streams, next to the same workload through Emmett's SQLite event store (which neither signs
// nor hashes).
//
// Run: node bench/ledger/run.js [--seconds 10] [--workers 1] [--inflight 256] [--no-emmett]
// Uses the compiled libraries (npm install builds them; or npx tsc -b tsconfig.build.json).
//
// Every workload runs in a fresh child process (so its peak memory is its own) on a fresh database file in the
// system temp directory, with a 1 s warm-up that is not counted. An append carries one event, so appends/s =
// receipts/s; latency is measured per append, from the call to its acknowledgement (after the commit). CPU µs/append
// is the CPU time of all the process's threads per append: a figure that does not depend on what else the machine runs.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork } = require('node:child_process');
const { machine, fmt, percentile } = require('../harness');

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
  const workers = Number(arg('workers', 1));
  const inflight = Number(arg('inflight', 256));
  const emmett = !args.includes('--no-emmett');
  console.log(`machine: ${machine()}`);
  console.log(`each workload: ${seconds} s after a 1 s warm-up, fresh SQLite file, one event per append, WAL + synchronous=FULL`);
  console.log(`signing: ${workers} worker thread(s); pipelined clients keep ${inflight} appends in flight in total\n`);

  const workloads = [
    { name: 'ledger, 1 stream, pipelined', store: 'ledger', streams: 1, inflight, workers, seconds },
    { name: 'ledger, 100 streams, pipelined', store: 'ledger', streams: 100, inflight, workers, seconds },
    { name: 'ledger, 1 stream, one append at a time', store: 'ledger', streams: 1, inflight: 1, workers, seconds },
    { name: 'ledger, 100 streams, one append at a time', store: 'ledger', streams: 100, inflight: 1, workers, seconds },
  ];
  if (emmett) {
    // Emmett's SQLite store opens and closes its connection around every append (concurrent appends fail with
    // "SQLITE_MISUSE: Database is closed"), so it only supports one append at a time: that is the client it gets,
    // and the ledger is measured with the same client too.
    workloads.push({ name: 'emmett-sqlite, 1 stream, one append at a time', store: 'emmett', streams: 1, inflight: 1, seconds });
    workloads.push({ name: 'emmett-sqlite, 100 streams, one append at a time', store: 'emmett', streams: 100, inflight: 1, seconds });
  }

  const header = `${'workload'.padEnd(48)} ${'appends/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'peak RSS'.padStart(9)} ${'CPU µs/append'.padStart(13)}`;
  console.log(header);
  console.log('-'.repeat(header.length));
  const results = [];
  for (const w of workloads) {
    const r = await inChild(w);
    results.push({ ...w, ...r });
    console.log(
      `${w.name.padEnd(48)} ${fmt(r.rate).padStart(10)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${r.max.toFixed(1).padStart(8)} ${`${Math.round(r.peakRss / 2 ** 20)} MiB`.padStart(9)} ${fmt(r.cpuPerAppend).padStart(13)}${r.retried ? `   (${r.retried} SQLITE_BUSY failures retried)` : ''}`,
    );
  }
  console.log('');
  const byName = (n) => results.find((r) => r.name === n);
  const single = byName('ledger, 1 stream, pipelined');
  const hundred = byName('ledger, 100 streams, pipelined');
  const check = (ok, text) => console.log(`${ok ? 'PASS' : 'FAIL'}  ${text}`);
  check(single.rate >= 10000 && hundred.rate >= 10000, `>= 10,000 signed receipts/s sustained (1 stream ${fmt(single.rate)}/s, 100 streams ${fmt(hundred.rate)}/s)`);
  check(single.p99 < 20 && hundred.p99 < 20, `p99 append latency < 20 ms (1 stream ${single.p99.toFixed(2)} ms, 100 streams ${hundred.p99.toFixed(2)} ms)`);
  if (emmett) {
    for (const streams of [1, 100]) {
      const em = results.find((r) => r.store === 'emmett' && r.streams === streams);
      const same = results.find((r) => r.store === 'ledger' && r.streams === streams && r.inflight === 1);
      const best = results.find((r) => r.store === 'ledger' && r.streams === streams && r.inflight > 1);
      check(same.rate > em.rate, `faster than Emmett with the same one-at-a-time client, ${streams} stream(s): ${fmt(same.rate)}/s vs ${fmt(em.rate)}/s`);
      check(best.rate > em.rate, `faster than Emmett, ${streams} stream(s), each at its best: ${fmt(best.rate)}/s vs ${fmt(em.rate)}/s`);
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

/** A corridor transition of realistic size (~200 bytes of payload). */
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
    const result = await drive(driver, w);
    await driver.close();
    if (driver.retried) result.retried = driver.retried;
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return { ...result, peakRss, maxRss: process.resourceUsage().maxRSS * 1024 };
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

/**
 * Drives the workload: `streams` producers, each keeping its share of `inflight` appends in flight with predicted
 * revisions (the client knows it is the only writer). Runs 1 s of warm-up, then `seconds` measured.
 */
async function drive(driver, w) {
  const perStream = Math.max(1, Math.floor(w.inflight / w.streams));
  const streamsActive = w.inflight >= w.streams ? w.streams : w.inflight; // one-at-a-time over 100 streams: round robin
  const next = new Array(w.streams).fill(0);
  const latencies = [];
  let measuring = false;
  let count = 0;
  let cpuFrom;
  const warmEnd = Date.now() + 1000;
  const end = warmEnd + w.seconds * 1000;
  let measuredFrom = 0;

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
    const inflight = new Set();
    for (;;) {
      const now = Date.now();
      if (!measuring && now >= warmEnd) {
        measuring = true;
        measuredFrom = process.hrtime.bigint();
        cpuFrom = process.cpuUsage();
      }
      if (now >= end) break;
      while (inflight.size < perStream) {
        const p = one(s).finally(() => inflight.delete(p));
        inflight.add(p);
        if (streamsActive < w.streams) s = (s + streamsActive) % w.streams; // round robin when fewer producers than streams
      }
      await Promise.race(inflight);
    }
    await Promise.all(inflight);
  };

  await Promise.all(Array.from({ length: streamsActive }, (_, i) => producer(i)));
  const elapsed = Number(process.hrtime.bigint() - measuredFrom) / 1e9;
  const cpu = process.cpuUsage(cpuFrom); // every thread of the process: event loop, signing workers, SQLite writer
  latencies.sort((a, b) => a - b);
  return {
    rate: count / elapsed,
    count,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    cpuPerAppend: (cpu.user + cpu.system) / count,
  };
}
