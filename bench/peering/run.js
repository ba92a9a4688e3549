'use strict';
// bench/peering: two node processes sharing a corridor. The sequencer (PK) takes transitions at an offered rate;
// for each receipt, the latency from the sequencer's commit (its 201) to the co-signer's verified, co-signed,
// durable copy (AE's co-signing watermark passing the receipt's sequence, polled every 5 ms). Prints p50/p99 per
// offered rate and the sustained co-signed receipts/s of the pair.
//   npm run build && node bench/peering/run.js [--rates 100,1000] [--seconds 20] [--transport http|kafka]
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { machine, percentile } = require('../harness');
const { request, startBroker, startPair, stopAll, dumpOutputs } = require('../cluster');

const { values } = parseArgs({ options: { rates: { type: 'string', default: '100,1000' }, seconds: { type: 'string', default: '20' }, transport: { type: 'string', default: 'http' } } });
const RATES = values.rates.split(',').map(Number);
const SECONDS = Number(values.seconds);

async function run(rate, pair, offset) {
  const { ports, corridorId } = pair;
  const committed = new Map(); // sequence → time of the sequencer's 201
  const cosigned = new Map(); // sequence → time AE's watermark passed it
  let sent = 0;
  let n = offset;
  const started = Date.now();
  const inflight = new Set();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * rate) - sent;
    for (let i = 0; i < due && Date.now() - started < SECONDS * 1000; i++) {
      sent++;
      const k = n++;
      const p = request(ports.PK, 'POST', `/corridors/${corridorId}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `P-${k}`, amount: '1.00', currency: 'USD' } } }).then((r) => {
        if (r.status === 201) committed.set(JSON.parse(r.text).receipts[0].receipt.sequence, Date.now());
      });
      inflight.add(p);
      p.finally(() => inflight.delete(p));
    }
  }, 5);
  let watermark = -1;
  const deadline = started + SECONDS * 1000 + 60_000;
  while (Date.now() < deadline) {
    const view = JSON.parse((await request(ports.AE, 'GET', `/corridors/${corridorId}`, undefined, { monitor: true })).text);
    const now = Date.now();
    const w = view.peering?.receipt_signed_up_to ?? -1;
    for (let s = watermark + 1; s <= w; s++) cosigned.set(s, now);
    watermark = Math.max(watermark, w);
    if (Date.now() - started > SECONDS * 1000 && inflight.size === 0 && [...committed.keys()].every((s) => s <= watermark)) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  clearInterval(timer);
  const lat = [...committed].filter(([s]) => cosigned.has(s)).map(([s, t]) => cosigned.get(s) - t).map((x) => Math.max(0, x)).sort((a, b) => a - b);
  const times = [...cosigned.values()];
  const span = (Math.max(...times) - started) / 1000;
  console.log(
    `offered ${String(rate).padStart(5)}/s: committed ${committed.size}, co-signed ${lat.length}; commit → co-signed copy p50 ${percentile(lat, 50)} ms, p99 ${percentile(lat, 99)} ms; ` +
      `sustained ${(lat.length / span).toFixed(0)} co-signed receipts/s`,
  );
  return n;
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-peering-bench-'));
  console.log(`bench/peering on ${machine()}, transport ${values.transport}, ${SECONDS} s per rate`);
  const brokers = values.transport === 'kafka' ? await startBroker(dir, 3600) : undefined;
  const pair = await startPair(dir, { transport: values.transport, brokers, env: { CORRIDOR_PEER_SYNC_INTERVAL_MS: '2000' } });
  let n = 0;
  for (const rate of RATES) n = await run(rate, pair, n);
}

main()
  .catch((e) => {
    console.error(e);
    dumpOutputs();
    process.exitCode = 1;
  })
  .finally(stopAll);
