'use strict';
// bench/node: corridor transitions over HTTP against a real node process (embedded SQLite), and the node's
// resident memory after a corridor of 1,000,000 receipts.
//   node bench/node/run.js [--seconds 20] [--concurrency 32] [--receipts 1000000]
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { buildExampleCorridor } = require('../../apps/cli/dist/example-corridor');
const { machine, percentile, row } = require('../harness');

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '32' }, receipts: { type: 'string', default: '1000000' } } });
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const RECEIPTS = Number(values.receipts);
const MAIN = path.join(__dirname, '..', '..', 'apps', 'node', 'dist', 'main.js');
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function startNode(dataDir) {
  const child = spawn(process.execPath, [MAIN], { env: { ...process.env, CORRIDOR_DATA_DIR: dataDir, CORRIDOR_HTTP_PORT: '0', CORRIDOR_JURISDICTION: 'PK' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const onData = (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`node exited with ${code}: ${out}`)));
  });
  return { child, port };
}

function rssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

async function activate(port, id) {
  const c = buildExampleCorridor({ corridorId: id, seed: id, issuedAt: '2026-01-01T00:00:00Z' });
  for (const [p, b] of [['/corridors', c.requests.create], [`/corridors/${id}/submit`, c.requests.submit], [`/corridors/${id}/activate`, c.requests.activate]]) {
    const r = await request(port, 'POST', p, b);
    if (r.status !== 201) throw new Error(`${p}: ${r.status} ${r.text}`);
  }
}

async function throughput() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-node-'));
  const { child, port } = await startNode(dataDir);
  try {
    // One corridor per client: commands on one corridor are serialised by design (one chain, one head).
    const ids = Array.from({ length: CONCURRENCY }, (_, i) => `org.bench.c${i}`);
    for (const id of ids) await activate(port, id);
    const latencies = [];
    let errors = 0;
    const end = Date.now() + SECONDS * 1000;
    await Promise.all(
      ids.map(async (id) => {
        let n = 0;
        while (Date.now() < end) {
          const t0 = process.hrtime.bigint();
          const r = await request(port, 'POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${n++}`, amount: '1250.00', currency: 'USD' } } });
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          if (r.status !== 201) errors++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    row(`corridor transitions over HTTP (${CONCURRENCY} clients, ${SECONDS} s)`, latencies.length / SECONDS, 'commands/s', '≥ 3,000');
    row('  latency p50', percentile(latencies, 50), 'ms');
    row('  latency p99', percentile(latencies, 99), 'ms', '< 50');
    row('  refused or failed', errors, 'requests');
    row('  node resident memory', rssMiB(child.pid), 'MiB');
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Writes a corridor of RECEIPTS receipts straight through the ledger, then measures a node serving it. */
async function memoryAfterReceipts() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-node-mem-'));
  const id = 'org.bench.million';
  let { child, port } = await startNode(dataDir);
  await activate(port, id);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));

  // Fill the state channel through the same chain writer the node uses (HTTP would take minutes for 1M).
  const { SqliteEventStore, ReceiptChainWriter } = require('@corridor/ledger');
  const { Ed25519KeyPair, parseJsonText } = require('@corridor/protocol');
  const key = Ed25519KeyPair.fromJwk(parseJsonText(fs.readFileSync(path.join(dataDir, 'node.jwk'), 'utf8')));
  const store = SqliteEventStore.open({ path: path.join(dataDir, 'ledger.sqlite'), durability: 'normal' });
  const writer = new ReceiptChainWriter(store, key);
  const first = await (async () => {
    ({ child, port } = await startNode(dataDir));
    const r = JSON.parse((await request(port, 'GET', `/corridors/${id}`)).text);
    child.kill('SIGTERM');
    await new Promise((res) => child.once('exit', res));
    return r.state_channel;
  })();
  const profile = { receiptType: 'MSEZCorridorStateReceipt', subjectField: 'corridor_id', subjectId: id, genesisRoot: first.genesis_root, lawpackDigestSet: first.lawpack_digest_set, rulesetDigestSet: first.ruleset_digest_set, toTransition: (e) => e.data.transition };
  const t0 = Date.now();
  const BATCH = 500;
  let rev = 'no_stream';
  for (let i = 0; i < RECEIPTS; i += BATCH) {
    const events = Array.from({ length: Math.min(BATCH, RECEIPTS - i) }, (_, k) => ({
      type: 'corridor.transition-recorded.v1',
      at: '2026-01-02T00:00:00Z',
      data: { transition: { type: 'MSEZTransitionEnvelope', kind: 'trade.invoice.issued.v1', payload: { n: i + k }, payload_sha256: require('@corridor/protocol').digestOf({ n: i + k }) } },
    }));
    rev = (await writer.append(`corridor-${id}`, profile, events, rev)).nextExpectedRevision;
  }
  await store.close();
  console.log(`wrote ${RECEIPTS.toLocaleString('en-US')} receipts in ${((Date.now() - t0) / 1000).toFixed(0)} s`);

  ({ child, port } = await startNode(dataDir));
  try {
    const t1 = Date.now();
    const r = await request(port, 'POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { n: 'one more' } } });
    if (r.status !== 201) throw new Error(`append after 1M: ${r.status} ${r.text}`);
    const loadSeconds = (Date.now() - t1) / 1000;
    const proof = await request(port, 'GET', `/corridors/${id}/receipts/123456/proof`);
    if (proof.status !== 200) throw new Error('proof failed');
    if (global.gc) global.gc();
    row(`node resident memory, corridor of ${RECEIPTS.toLocaleString('en-US')} receipts loaded`, rssMiB(child.pid), 'MiB', '< 500');
    row('  first command on it (loads the corridor)', loadSeconds * 1000, 'ms');
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

(async () => {
  console.log(`machine: ${machine()}`);
  await throughput();
  if (RECEIPTS > 0) await memoryAfterReceipts();
  agent.destroy();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
