'use strict';
// bench/peering: two node processes sharing a corridor. The sequencer (PK) takes transitions at an offered rate;
// for each receipt, the latency from the sequencer's commit (its 201) to the co-signer's verified, co-signed,
// durable copy (AE's co-signing watermark passing the receipt's sequence, polled every 5 ms on a connection of its own). Prints p50/p99 per
// offered rate and the sustained co-signed receipts/s of the pair.
//   npm run build && node bench/peering/run.js [--rates 100,1000] [--seconds 20] [--warmup 5] [--transport http|kafka]
// Each rate first runs --warmup seconds that are not counted (the JIT compiles the batch paths the rate exercises).
// Both nodes and the load generator share the machine, so the bench prints the CPU each spent per receipt; the load
// uses the lean keep-alive client of bench/node (node:http's client costs several times more CPU per request).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { machine, fmt, percentile, ed25519SignRate } = require('../harness');
const { startBroker, startPair, stopAll, dumpOutputs, TOKEN } = require('../cluster');
const { KeepAliveClient } = require('../node/keep-alive-client');

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '100,1000' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
    transport: { type: 'string', default: 'http' },
  },
});
const RATES = values.rates.split(',').map(Number);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);

/** CPU seconds a process has used (all its threads), from /proc; NaN where there is no /proc. */
function cpuSeconds(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ)
  } catch {
    return NaN;
  }
}

/** The node closes a keep-alive connection idle for 5 s (CORRIDOR_KEEP_ALIVE_TIMEOUT_MS); the pool retires it first. */
const MAX_IDLE_MS = 4000;

/** Keep-alive connections to the sequencer, one request each at a time; a new one opens when all are busy. */
class ClientPool {
  constructor(port) {
    this.port = port;
    this.idle = []; // { client, since }, most recently used last
    this.all = new Set();
  }

  post(urlPath, body) {
    let entry = this.idle.pop();
    while (entry && Date.now() - entry.since > MAX_IDLE_MS) {
      // Reusing it would race the node closing it (the request would fail with ECONNRESET).
      entry.client.close();
      this.all.delete(entry.client);
      entry = this.idle.pop();
    }
    const client = entry?.client ?? this.open();
    return client.post(urlPath, body).finally(() => this.idle.push({ client, since: Date.now() }));
  }

  open() {
    const client = new KeepAliveClient(this.port, { headers: { authorization: `Bearer ${TOKEN}` } });
    this.all.add(client);
    return client;
  }

  close() {
    for (const c of this.all) c.close();
  }
}

/** Offers `rate` transitions/s for `seconds`; resolves with the latencies of the receipts committed at or after `countFrom`. */
async function offer(rate, seconds, pair, pool, counter, countFrom) {
  const { ports, corridorId } = pair;
  const monitor = new KeepAliveClient(ports.AE, { headers: { authorization: `Bearer ${TOKEN}` } });
  const committed = new Map(); // sequence → time of the sequencer's 201
  const cosigned = new Map(); // sequence → time AE's watermark passed it
  let sent = 0;
  const failures = new Map(); // status or error → count
  const failed = (why) => failures.set(why, (failures.get(why) ?? 0) + 1);
  const started = Date.now();
  const inflight = new Set();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
    for (let i = 0; i < due && Date.now() - started < seconds * 1000; i++) {
      sent++;
      const k = counter.n++;
      const p = pool.post(`/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `P-${k}`, amount: '1.00', currency: 'USD' } } }).then(
        (r) => {
          if (r.status === 201) committed.set(JSON.parse(r.text).receipts[0].receipt.sequence, Date.now());
          else failed(`HTTP ${r.status} ${r.text.slice(0, 200)}`);
        },
        (e) => failed(e.message),
      );
      inflight.add(p);
      p.finally(() => inflight.delete(p));
    }
  }, 5);
  let watermark = -1;
  const deadline = started + seconds * 1000 + 60_000;
  while (Date.now() < deadline) {
    const view = JSON.parse((await monitor.get(`/corridors/${corridorId}`)).text);
    const now = Date.now();
    const w = view.peering?.receipt_signed_up_to ?? -1;
    for (let s = watermark + 1; s <= w; s++) cosigned.set(s, now);
    watermark = Math.max(watermark, w);
    if (Date.now() - started > seconds * 1000 && inflight.size === 0 && [...committed.keys()].every((s) => s <= watermark)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  clearInterval(timer);
  monitor.close();
  const counted = [...committed].filter(([, t]) => t >= started + countFrom * 1000);
  const latencies = counted.filter(([s]) => cosigned.has(s)).map(([s, t]) => Math.max(0, cosigned.get(s) - t)).sort((a, b) => a - b);
  const times = counted.filter(([s]) => cosigned.has(s)).map(([s]) => cosigned.get(s));
  const span = (Math.max(...times) - (started + countFrom * 1000)) / 1000;
  return { committed: counted.length, failures, latencies, span };
}

async function run(rate, pair, pool, counter) {
  const pids = { PK: pair.nodes.PK.pid, AE: pair.nodes.AE.pid };
  const cpu0 = { PK: cpuSeconds(pids.PK), AE: cpuSeconds(pids.AE), bench: process.cpuUsage() };
  const load0 = os.loadavg()[0];
  const started = Date.now();
  const { committed, failures, latencies, span } = await offer(rate, WARMUP + SECONDS, pair, pool, counter, WARMUP);
  const elapsed = (Date.now() - started) / 1000;
  // Cores used over the whole offer (warm-up included), and per receipt offered. At low rates the per-receipt figure
  // is mostly the cost of waking idle threads and cores (on a VM each wake-up of an idle vCPU is an interrupt).
  const usage = (s) => `${(s / elapsed).toFixed(2)} cores, ${((s * 1e6) / Math.max(1, rate * (WARMUP + SECONDS))).toFixed(0)} µs per receipt`;
  const benchCpu = process.cpuUsage(cpu0.bench);
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  console.log(
    `offered ${String(rate).padStart(5)}/s: committed ${committed}, co-signed ${latencies.length}${failed ? `, ${failed} refused or failed` : ''}; ` +
      `commit → co-signed copy p50 ${percentile(latencies, 50)} ms, p90 ${percentile(latencies, 90)} ms, p99 ${percentile(latencies, 99)} ms, max ${latencies[latencies.length - 1]} ms; ` +
      `sustained ${(latencies.length / span).toFixed(0)} co-signed receipts/s`,
  );
  console.log(
    `                 CPU: PK ${usage(cpuSeconds(pids.PK) - cpu0.PK)}; AE ${usage(cpuSeconds(pids.AE) - cpu0.AE)}; ` +
      `load generator ${usage((benchCpu.user + benchCpu.system) / 1e6)}; load average (1 min) before / after ${load0.toFixed(2)} / ${os.loadavg()[0].toFixed(2)}`,
  );
  for (const [why, n] of failures) console.log(`                 ${n} × ${why}`);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-peering-bench-'));
  console.log(`bench/peering on ${machine()}, transport ${values.transport}, ${SECONDS} s per rate after a ${WARMUP} s warm-up that is not counted`);
  // The machine may be shared: its speed right now, for reading the figures (the README's were taken at ~41,000/s).
  console.log(`calibration: node:crypto Ed25519 signatures on one core right now: ${fmt(ed25519SignRate())}/s`);
  const brokers = values.transport === 'kafka' ? await startBroker(dir, 3600) : undefined;
  const pair = await startPair(dir, { transport: values.transport, brokers, env: { CORRIDOR_PEER_SYNC_INTERVAL_MS: '2000' } });
  const pool = new ClientPool(pair.ports.PK);
  const counter = { n: 0 };
  try {
    for (const rate of RATES) await run(rate, pair, pool, counter);
  } finally {
    pool.close();
  }
}

main()
  .catch((e) => {
    console.error(e);
    dumpOutputs();
    process.exitCode = 1;
  })
  .finally(stopAll);
