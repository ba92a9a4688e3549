'use strict';
// bench/soak: two nodes peering over a Kafka-protocol broker, three watchers attesting, under a steady offered load
// of transitions from both sides. Every minute it prints throughput, client p50/p99 latency, finality lag and each
// process's resident memory; at the end it compares memory after warm-up with the last minute (flat = ≤ 10 %).
//   npm run build && node bench/soak/run.js [--minutes 10] [--rate 1000] [--warmup 2]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { machine, percentile } = require('../harness');
const { WATCHER_MAIN, Ed25519KeyPair, freePort, request, rssMiB, spawnChild, startBroker, startPair, stopAll, dumpOutputs } = require('../cluster');

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '1000' }, warmup: { type: 'string', default: '2' } } });
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
const WARMUP = Number(values.warmup);
// SOAK_MINUTE_MS shortens a "minute" for a quick check of the script itself; the figures are per real minute only at 60000.
const MINUTE_MS = Number(process.env.SOAK_MINUTE_MS ?? 60_000);
/** Requests not answered yet are capped, so an overloaded pair is measured instead of the generator's own queue. */
const MAX_IN_FLIGHT = 2000;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-soak-'));
  console.log(`bench/soak on ${machine()}`);
  console.log(`offered load ${RATE} transitions/s for ${MINUTES} min (warm-up ${WARMUP} min), two nodes over Kafka, three watchers`);
  const brokers = await startBroker(dir, (MINUTES + 10) * 60);
  const { ports, nodes, corridorId: id } = await startPair(dir, { transport: 'kafka', brokers, corridorId: 'org.example.corridor.soak' });
  const watchers = [];
  for (let i = 0; i < 3; i++) {
    const key = Ed25519KeyPair.generate(`watcher-${i}`);
    const keyFile = path.join(dir, `watcher-${i}.jwk`);
    fs.writeFileSync(keyFile, JSON.stringify(key.toJwk({ includePrivate: true })), { mode: 0o600 });
    for (const z of ['PK', 'AE']) {
      const r = await request(ports[z], 'POST', '/watcher-bonds', { watcher_id: key.did, bond_id: `bond-${i}`, amount: '1000.00', currency: 'USDC', corridor_ids: [id] });
      if (r.status !== 201) throw new Error(`bond on ${z}: ${r.status} ${r.text}`);
    }
    watchers.push(
      spawnChild(`watcher-${i}`, [WATCHER_MAIN], {
        WATCHER_KEY: keyFile,
        WATCHER_NODES: `http://127.0.0.1:${ports.PK},http://127.0.0.1:${ports.AE}`,
        WATCHER_CORRIDORS: id,
        WATCHER_DATA_DIR: path.join(dir, `watcher-${i}`),
        WATCHER_HTTP_PORT: String(await freePort()),
      }),
    );
  }

  // Open-loop load: RATE per second, alternating sides, each request timed from when it was sent.
  let seq = 0;
  let inFlight = 0;
  let skipped = 0;
  let latencies = [];
  let ok = 0;
  let failed = 0;
  const started = Date.now();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * RATE) - seq;
    for (let i = 0; i < due; i++) {
      const n = seq++;
      if (inFlight >= MAX_IN_FLIGHT) {
        skipped++;
        continue;
      }
      inFlight++;
      const zone = n % 2 === 0 ? 'PK' : 'AE';
      const t0 = process.hrtime.bigint();
      request(ports[zone], 'POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `SOAK-${n}`, amount: '10.00', currency: 'USD' } } })
        .then(
          (r) => {
            if (r.status === 201 || r.status === 202) {
              ok++;
              latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            } else failed++;
          },
          () => failed++,
        )
        .finally(() => inFlight--);
    }
  }, 10);

  const memory = [];
  let lastHead = 0;
  let lastTime = Date.now();
  console.log('minute  accepted/s  co-signed receipts/s  p50 ms  p99 ms  failed  not sent  signed-lag  finality          RSS MiB (PK, AE, 3 watchers)');
  for (let minute = 1; minute <= MINUTES; minute++) {
    await new Promise((r) => setTimeout(r, MINUTE_MS));
    // Take this minute's figures before anything is awaited: answers keep arriving meanwhile.
    const sorted = latencies.slice().sort((a, b) => a - b);
    const accepted = ok;
    const failures = failed;
    const notSent = skipped;
    latencies = [];
    ok = 0;
    failed = 0;
    skipped = 0;
    const view = JSON.parse((await request(ports.AE, 'GET', `/corridors/${id}`, undefined, { monitor: true })).text);
    const head = (view.state_channel?.head?.sequence ?? -1) + 1;
    const signed = (view.peering?.receipt_signed_up_to ?? -1) + 1;
    const rss = [nodes.PK.pid, nodes.AE.pid, ...watchers.map((w) => w.pid)].map(rssMiB);
    memory.push(rss);
    const elapsed = (Date.now() - lastTime) / 1000; // a "minute" under load lasts longer than 60 s: rates use the real time
    lastTime = Date.now();
    const perSecond = (x) => String(Math.round(x / elapsed));
    console.log(
      `${String(minute).padStart(6)}  ${perSecond(accepted).padStart(10)}  ${perSecond(signed - lastHead).padStart(20)}  ${percentile(sorted, 50).toFixed(0).padStart(6)}  ${percentile(sorted, 99).toFixed(0).padStart(6)}  ${String(failures).padStart(6)}  ${String(notSent).padStart(8)}  ${String(head - signed).padStart(10)}  ${String(view.finality).padEnd(16)}  ${rss.map((m) => m.toFixed(0)).join(', ')}`,
    );
    lastHead = signed;
  }
  clearInterval(timer);
  for (const z of ['PK', 'AE']) console.log(`${z} peering counters: ${JSON.stringify(JSON.parse((await request(ports[z], 'GET', '/peering/status', undefined, { monitor: true })).text).counters)}`);
  const after = memory[Math.min(WARMUP, memory.length - 1)];
  const last = memory[memory.length - 1];
  const growth = last.map((m, i) => (m - after[i]) / after[i]);
  const worst = Math.max(...growth);
  console.log(`memory growth after warm-up (minute ${Math.min(WARMUP, memory.length - 1) + 1} → ${MINUTES}): ${growth.map((g) => `${(g * 100).toFixed(1)} %`).join(', ')} — ${worst <= 0.1 ? 'flat (≤ 10 %)' : 'GROWING (> 10 %)'}`);
}

main()
  .catch((e) => {
    console.error(e);
    dumpOutputs();
    process.exitCode = 1;
  })
  .finally(stopAll);
