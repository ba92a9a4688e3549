'use strict';
// bench/soak: two nodes peering over a Kafka-protocol broker, three watchers attesting, under a steady offered load
// of transitions from both sides. Every minute it prints throughput, client p50/p99 latency, finality lag and each
// process's resident memory; at the end it compares memory after warm-up with the last minute (flat = ≤ 10 %).
//   npm run build && node bench/soak/run.js [--minutes 10] [--rate 1000] [--warmup 2]
const { execFileSync, spawn } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { Ed25519KeyPair } = require('../../libs/protocol/dist');
const { buildExampleCorridor } = require('../../apps/cli/dist/example-corridor');
const { machine, percentile } = require('../harness');

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '1000' }, warmup: { type: 'string', default: '2' } } });
const MINUTES = Number(values.minutes);
const RATE = Number(values.rate);
const WARMUP = Number(values.warmup);
// SOAK_MINUTE_MS shortens a "minute" for a quick check of the script itself; the figures are per real minute only at 60000.
const MINUTE_MS = Number(process.env.SOAK_MINUTE_MS ?? 60_000);
const ROOT = path.join(__dirname, '..', '..');
const NODE_MAIN = path.join(ROOT, 'apps', 'node', 'dist', 'main.js');
const WATCHER_MAIN = path.join(ROOT, 'apps', 'watcher', 'dist', 'main.js');
const TOKEN = randomBytes(24).toString('base64url');
const TOKENS = JSON.stringify({ soak: createHash('sha256').update(TOKEN).digest('hex') });
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function request(port, method, urlPath, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { authorization: `Bearer ${TOKEN}`, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) };
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

function spawnChild(name, args, env) {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out = (out + d).slice(-20000)));
  child.stderr.on('data', (d) => (out = (out + d).slice(-20000)));
  children.push({ name, child, output: () => out });
  return child;
}

async function waitHttp(port, urlPath, what) {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await request(port, 'GET', urlPath);
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

function rssMiB(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  } catch {
    return NaN;
  }
}

async function startBroker(dir) {
  const bin = path.join(dir, 'mockbroker');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('gcc', ['-O2', '-o', bin, path.join(ROOT, 'tools', 'mockbroker.c'), ...flags]);
  const child = spawn(bin, ['-b', '1', '-t', 'corridor.peer.messages:3', '-t', 'corridor.peer.checkpoints:1', '-T', String((MINUTES + 10) * 60)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push({ name: 'broker', child, output: () => '' });
  return new Promise((resolve) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /BOOTSTRAP=(\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-soak-'));
  console.log(`bench/soak on ${machine()}`);
  console.log(`offered load ${RATE} transitions/s for ${MINUTES} min (warm-up ${WARMUP} min), two nodes over Kafka, three watchers`);
  const brokers = await startBroker(dir);
  const keys = { PK: Ed25519KeyPair.generate('pk-node'), AE: Ed25519KeyPair.generate('ae-node') };
  const ports = { PK: await freePort(), AE: await freePort() };
  const nodes = {};
  for (const z of ['PK', 'AE']) {
    const keyFile = path.join(dir, `${z}.jwk`);
    fs.writeFileSync(keyFile, JSON.stringify(keys[z].toJwk({ includePrivate: true })), { mode: 0o600 });
    const other = z === 'PK' ? 'AE' : 'PK';
    nodes[z] = spawnChild(`node-${z}`, [NODE_MAIN], {
      CORRIDOR_JURISDICTION: z,
      CORRIDOR_DATA_DIR: path.join(dir, z),
      CORRIDOR_NODE_KEY: keyFile,
      CORRIDOR_HTTP_PORT: String(ports[z]),
      CORRIDOR_PEERS: `${keys[other].did}=http://127.0.0.1:${ports[other]}`,
      CORRIDOR_PEER_TRANSPORT: 'kafka',
      KAFKA_BROKERS: brokers,
      CORRIDOR_OPERATOR_TOKENS: TOKENS,
      CORRIDOR_RATE_LIMITS: `operator=${RATE * 10}:${RATE * 20},peer=${RATE * 20}:${RATE * 40},watcher=1000:5000`,
    });
  }
  await Promise.all(['PK', 'AE'].map((z) => waitHttp(ports[z], '/health/live', `node ${z}`)));
  const id = 'org.example.corridor.soak';
  const c = buildExampleCorridor({ corridorId: id, zoneKeys: keys, sequencer: 'PK' });
  for (const z of ['PK', 'AE']) {
    for (const [p, b] of [['/corridors', c.requests.create], [`/corridors/${id}/submit`, c.requests.submit], [`/corridors/${id}/activate`, c.requests.activate]]) {
      const r = await request(ports[z], 'POST', p, b);
      if (r.status !== 201) throw new Error(`${z} ${p}: ${r.status} ${r.text}`);
    }
  }
  const watchers = [];
  for (let i = 0; i < 3; i++) {
    const key = Ed25519KeyPair.generate(`watcher-${i}`);
    const keyFile = path.join(dir, `watcher-${i}.jwk`);
    fs.writeFileSync(keyFile, JSON.stringify(key.toJwk({ includePrivate: true })), { mode: 0o600 });
    for (const z of ['PK', 'AE']) {
      const r = await request(ports[z], 'POST', '/watcher-bonds', { watcher_id: key.did, bond_id: `bond-${i}`, amount: '1000.00', currency: 'USDC', corridor_ids: [id] });
      if (r.status !== 201) throw new Error(`bond on ${z}: ${r.status} ${r.text}`);
    }
    const port = await freePort();
    watchers.push(
      spawnChild(`watcher-${i}`, [WATCHER_MAIN], {
        WATCHER_KEY: keyFile,
        WATCHER_NODES: `http://127.0.0.1:${ports.PK},http://127.0.0.1:${ports.AE}`,
        WATCHER_CORRIDORS: id,
        WATCHER_DATA_DIR: path.join(dir, `watcher-${i}`),
        WATCHER_HTTP_PORT: String(port),
      }),
    );
  }

  // Open-loop load: RATE per second, alternating sides, each request timed from when it was due.
  let seq = 0;
  let latencies = [];
  let ok = 0;
  let failed = 0;
  const tick = 10;
  const started = Date.now();
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * RATE) - seq;
    for (let i = 0; i < due; i++) {
      const n = seq++;
      const zone = n % 2 === 0 ? 'PK' : 'AE';
      const t0 = process.hrtime.bigint();
      request(ports[zone], 'POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `SOAK-${n}`, amount: '10.00', currency: 'USD' } } }).then(
        (r) => {
          if (r.status === 201 || r.status === 202) {
            ok++;
            latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          } else failed++;
        },
        () => failed++,
      );
    }
  }, tick);

  const memory = [];
  let lastHead = 0;
  console.log('minute  accepted/s  receipts/s  p50 ms  p99 ms  failed  signed-lag  finality          RSS MiB (PK, AE, watchers)');
  for (let minute = 1; minute <= MINUTES; minute++) {
    await new Promise((r) => setTimeout(r, MINUTE_MS));
    const sorted = latencies.sort((a, b) => a - b);
    const view = JSON.parse((await request(ports.AE, 'GET', `/corridors/${id}`)).text);
    const head = (view.state_channel?.head?.sequence ?? -1) + 1;
    const signedLag = head - 1 - (view.peering?.receipt_signed_up_to ?? -1);
    const rss = [nodes.PK.pid, nodes.AE.pid, ...watchers.map((w) => w.pid)].map(rssMiB);
    memory.push(rss);
    console.log(
      `${String(minute).padStart(6)}  ${String(Math.round(ok / (MINUTE_MS / 1000))).padStart(10)}  ${String(Math.round((head - lastHead) / (MINUTE_MS / 1000))).padStart(10)}  ${percentile(sorted, 50).toFixed(1).padStart(6)}  ${percentile(sorted, 99).toFixed(1).padStart(6)}  ${String(failed).padStart(6)}  ${String(signedLag).padStart(10)}  ${String(view.finality).padEnd(16)}  ${rss.map((m) => m.toFixed(0)).join(', ')}`,
    );
    lastHead = head;
    latencies = [];
    ok = 0;
    failed = 0;
  }
  clearInterval(timer);
  for (const z of ['PK', 'AE']) console.log(`${z} peering counters: ${JSON.stringify(JSON.parse((await request(ports[z], 'GET', '/peering/status')).text).counters)}`);
  const after = memory[Math.min(WARMUP, memory.length - 1)];
  const last = memory[memory.length - 1];
  const growth = last.map((m, i) => (m - after[i]) / after[i]);
  const worst = Math.max(...growth);
  console.log(`memory growth after warm-up (minute ${WARMUP + 1} → ${MINUTES}): ${growth.map((g) => `${(g * 100).toFixed(1)} %`).join(', ')} — ${worst <= 0.1 ? 'flat (≤ 10 %)' : 'GROWING (> 10 %)'}`);
}

function stopAll() {
  for (const c of children) {
    try {
      c.child.kill('SIGTERM');
    } catch {
      /* gone */
    }
  }
}

main()
  .catch((e) => {
    console.error(e);
    for (const c of children) console.error(`--- ${c.name}\n${c.output().slice(-3000)}`);
    process.exitCode = 1;
  })
  .finally(stopAll);
