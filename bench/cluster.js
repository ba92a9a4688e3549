'use strict';
// Shared by the multi-process benchmarks (bench/peering, bench/soak): built node and watcher processes on loopback,
// an operator token, a keep-alive HTTP client, the project's Kafka-protocol broker, resident memory.
const { execFileSync, spawn } = require('node:child_process');
const { createHash, randomBytes } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { Ed25519KeyPair } = require('../libs/protocol/dist');
const { buildExampleCorridor } = require('../apps/cli/dist/example-corridor');

const ROOT = path.join(__dirname, '..');
const NODE_MAIN = path.join(ROOT, 'apps', 'node', 'dist', 'main.js');
const WATCHER_MAIN = path.join(ROOT, 'apps', 'watcher', 'dist', 'main.js');
const TOKEN = randomBytes(24).toString('base64url');
const TOKENS = JSON.stringify({ bench: createHash('sha256').update(TOKEN).digest('hex') });
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
/** Observation requests get their own sockets: they must not queue behind the load they measure. */
const monitorAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** An HTTP request as the benchmark's operator (`monitor`: on the observation sockets). */
function request(port, method, urlPath, body, { monitor = false } = {}) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { authorization: `Bearer ${TOKEN}`, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) };
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent: monitor ? monitorAgent : agent, headers }, (res) => {
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

/** The project's Kafka-protocol broker (librdkafka's mock cluster), compiled into `dir`; resolves its bootstrap list. */
async function startBroker(dir, lifetimeSeconds) {
  const bin = path.join(dir, 'mockbroker');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'rdkafka'], { encoding: 'utf8' }).trim().split(/\s+/);
  execFileSync('gcc', ['-O2', '-o', bin, path.join(ROOT, 'tools', 'mockbroker.c'), ...flags]);
  const child = spawn(bin, ['-b', '1', '-t', 'corridor.peer.messages:3', '-t', 'corridor.peer.checkpoints:1', '-T', String(lifetimeSeconds)], { stdio: ['pipe', 'pipe', 'inherit'] });
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

/**
 * Two node processes, PK sequencing and AE co-signing one shared corridor, on `transport` ('http' or 'kafka').
 * Resolves once the corridor is ACTIVE on both.
 */
async function startPair(dir, { transport = 'http', brokers, env = {}, corridorId = 'org.example.corridor.bench' } = {}) {
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
      CORRIDOR_PEER_TRANSPORT: transport,
      ...(brokers ? { KAFKA_BROKERS: brokers } : {}),
      CORRIDOR_OPERATOR_TOKENS: TOKENS,
      CORRIDOR_RATE_LIMITS: 'operator=100000:200000,peer=100000:200000,watcher=10000:20000',
      ...env,
    });
  }
  await Promise.all(['PK', 'AE'].map((z) => waitHttp(ports[z], '/health/live', `node ${z}`)));
  const c = buildExampleCorridor({ corridorId, zoneKeys: keys, sequencer: 'PK' });
  for (const z of ['PK', 'AE']) {
    for (const [p, b] of [['/corridors', c.requests.create], [`/corridors/${corridorId}/submit`, c.requests.submit], [`/corridors/${corridorId}/activate`, c.requests.activate]]) {
      const r = await request(ports[z], 'POST', p, b);
      if (r.status !== 201) throw new Error(`${z} ${p}: ${r.status} ${r.text}`);
    }
  }
  return { keys, ports, nodes, corridorId };
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

function dumpOutputs() {
  for (const c of children) console.error(`--- ${c.name}\n${c.output().slice(-3000)}`);
}

module.exports = { ROOT, NODE_MAIN, WATCHER_MAIN, TOKEN, freePort, request, spawnChild, waitHttp, rssMiB, startBroker, startPair, stopAll, dumpOutputs, Ed25519KeyPair };
