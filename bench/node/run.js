'use strict';
// bench/node: corridor transitions over HTTP against a real node process (embedded SQLite), and the node's
// resident memory after a corridor of 1,000,000 receipts.
//   node bench/node/run.js [--seconds 20] [--concurrency 32] [--receipts 1000000] [--idempotency-keys] [--cpu-prof DIR] [--node-arg ARG]
// --idempotency-keys sends every command with its own Idempotency-Key, as a client that retries safely does.
// --receipts 0 skips the memory part. --cpu-prof DIR writes a V8 CPU profile of the node (the throughput run) to DIR;
// --node-arg ARG (repeatable) passes ARG to the node process of the throughput run (e.g. --node-arg=--heap-prof).
// The figures are taken after a 2 s warm-up that is not counted.
// The load generator runs on the same machine as the node, so it uses a lean keep-alive client (see
// keep-alive-client.js) and the bench prints the CPU time per command of both: on a 2-core machine every
// microsecond the client spends is taken from the node.
const { spawn } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { buildExampleCorridor } = require('../../apps/cli/dist/example-corridor');
const { machine, percentile, row } = require('../harness');
const { KeepAliveClient } = require('./keep-alive-client');

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '32' }, receipts: { type: 'string', default: '1000000' }, 'idempotency-keys': { type: 'boolean', default: false }, 'cpu-prof': { type: 'string' }, 'node-arg': { type: 'string', multiple: true, default: [] } } });
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const RECEIPTS = Number(values.receipts);
const KEYED = values['idempotency-keys'];
const CPU_PROF = values['cpu-prof'] === undefined ? undefined : path.resolve(values['cpu-prof']);
const WARMUP_SECONDS = 2;
const MAIN = path.join(__dirname, '..', '..', 'apps', 'node', 'dist', 'main.js');
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
// The bench acts as the node's operator (every command needs a principal): a token of its own, given to the node as
// a SHA-256 digest.
const TOKEN = randomBytes(24).toString('base64url');
const AUTHORIZATION = { authorization: `Bearer ${TOKEN}` };
const OPERATOR_TOKENS = JSON.stringify({ bench: createHash('sha256').update(TOKEN).digest('hex') });

function request(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { ...AUTHORIZATION, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) };
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

async function startNode(dataDir, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, MAIN], { env: { ...process.env, CORRIDOR_DATA_DIR: dataDir, CORRIDOR_HTTP_PORT: '0', CORRIDOR_JURISDICTION: 'PK', CORRIDOR_OPERATOR_TOKENS: OPERATOR_TOKENS }, stdio: ['ignore', 'pipe', 'pipe'] });
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

/** CPU time (user + system) of a process, all threads, and of its main thread, in ms (Linux /proc). */
function processCpuMs(pid) {
  const ticks = (file) => {
    const fields = fs.readFileSync(file, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const msPerTick = 1000 / 100; // USER_HZ
  return { all: ticks(`/proc/${pid}/stat`) * msPerTick, main: ticks(`/proc/${pid}/task/${pid}/stat`) * msPerTick };
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
  const { child, port } = await startNode(dataDir, [...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : []), ...values['node-arg']]);
  try {
    // One corridor per client: commands on one corridor are serialised by design (one chain, one head).
    const ids = Array.from({ length: CONCURRENCY }, (_, i) => `org.bench.c${i}`);
    for (const id of ids) await activate(port, id);
    const clients = ids.map(() => new KeepAliveClient(port, { headers: AUTHORIZATION }));
    const sent = ids.map(() => 0);
    /** Each client sends its corridor one command after the other for `seconds`: their latencies (ms) and refusals. */
    const drive = async (seconds) => {
      const latencies = [];
      let errors = 0;
      const end = Date.now() + seconds * 1000;
      await Promise.all(
        ids.map(async (id, c) => {
          while (Date.now() < end) {
            const t0 = process.hrtime.bigint();
            const invoice = `INV-${sent[c]++}`;
            const headers = KEYED ? { 'Idempotency-Key': `${id}/${invoice}` } : {};
            const r = await clients[c].post(`/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice, amount: '1250.00', currency: 'USD' } } }, headers);
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            if (r.status !== 201) errors++;
          }
        }),
      );
      return { latencies, errors };
    };
    await drive(WARMUP_SECONDS); // compiles the hot path and fills the caches: not counted
    const load0 = os.loadavg()[0];
    const node0 = processCpuMs(child.pid);
    const self0 = process.cpuUsage();
    const { latencies, errors } = await drive(SECONDS);
    const node1 = processCpuMs(child.pid);
    const self1 = process.cpuUsage(self0);
    for (const c of clients) c.close();
    const perCommand = (ms) => (ms * 1000) / latencies.length;
    latencies.sort((a, b) => a - b);
    row(`corridor transitions over HTTP (${CONCURRENCY} clients, ${SECONDS} s after ${WARMUP_SECONDS} s${KEYED ? ', Idempotency-Key' : ''})`, latencies.length / SECONDS, 'commands/s', '≥ 3,000');
    row('  latency p50', percentile(latencies, 50), 'ms');
    row('  latency p99', percentile(latencies, 99), 'ms', '< 50');
    row('  refused or failed', errors, 'requests');
    row('  node CPU per command, all threads', perCommand(node1.all - node0.all), 'µs');
    row('  node CPU per command, main thread', perCommand(node1.main - node0.main), 'µs');
    row('  load generator CPU per command', (self1.user + self1.system) / latencies.length, 'µs');
    console.log(`  machine load average (1 min) before / after: ${load0.toFixed(2)} / ${os.loadavg()[0].toFixed(2)}`);
    row('  node resident memory', rssMiB(child.pid), 'MiB');
  } finally {
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited; // the node's stores (and a CPU profile) are written before the data folder goes
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
