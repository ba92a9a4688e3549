'use strict';
// bench/watchers: the watcher daemon on this machine.
//   node bench/watchers/run.js [--receipts 20000] [--rounds 20] [--skip-quorum]
//
// 1. Verification throughput of one watcher on a pre-built chain of N co-signed receipts (two proofs each), next to
//    this machine's raw Ed25519 verify ceiling per core (node's crypto.verify in a loop over a receipt-sized
//    message), measured in the same run, interleaved, best of 3 each: the verifier alone, the verifier with the
//    durable store (batched SQLite writes, WAL, synchronous FULL), and a daemon catching up over SSE on loopback.
// 2. Checkpoint to quorum finality: a real node process, three bonded watcher daemons (processes) on loopback; for
//    each new receipt, the time from the node's 201 to the node reporting watcher quorum at that head (2 of 3).
//
// Runs the TypeScript sources through the repository's SWC loader (no build needed), like the tests' child processes.
require('../../libs/ledger/worker/ts-register.js');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { parseArgs } = require('node:util');
const p = require('@corridor/protocol');
const w = require('../../apps/watcher/src');
const { buildChain } = require('./chain');
const { machine, fmt, percentile } = require('../harness');

const { values } = parseArgs({ options: { receipts: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '20' }, 'skip-quorum': { type: 'boolean', default: false } } });
const N = Number(values.receipts);
const ROUNDS = Number(values.rounds);
const ROOT = path.join(__dirname, '..', '..');
const TS_REGISTER = path.join(ROOT, 'libs', 'ledger', 'worker', 'ts-register.js');

const line = (name, value, unit, note = '') => console.log(`${name.padEnd(64)} ${String(value).padStart(12)} ${unit}${note ? `   ${note}` : ''}`);
const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const facts = (c) => ({ corridorId: c.corridorId, genesisRoot: null, lawpackDigestSet: null, rulesetDigestSet: null });

/** CPU seconds of this process (user + system): other processes' load does not count against a measurement. */
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** The raw ceiling's material: one receipt's signing input, its sequencer signature, a cached KeyObject. */
function ceilingProbe(c) {
  const receipt = p.parseJsonText(c.texts[Math.min(100, c.texts.length - 1)]);
  const message = p.signingInput(receipt);
  const signature = Buffer.from(receipt.proof[0].jws, 'base64url');
  const key = crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), c.sequencer.publicKey]), format: 'der', type: 'spki' });
  return {
    bytes: message.length,
    run(n) {
      for (let i = 0; i < n; i++) if (!crypto.verify(null, message, key, signature)) throw new Error('ceiling: signature does not verify');
    },
  };
}

/**
 * The verifier over the whole chain (with the durable store when `withStore`: stage receipt and cursor, write a batch
 * every 2,000), interleaved slice by slice with the raw ceiling (as many crypto.verify calls as the slice has
 * proofs), both timed in CPU seconds. Returns receipts per CPU second, the ceiling per CPU second, and the wall rate.
 */
function interleaved(c, policy, probe, withStore) {
  const dir = withStore ? fs.mkdtempSync(path.join(os.tmpdir(), 'bench-watcher-store-')) : null;
  const store = dir ? new w.WatcherStore(dir) : null;
  try {
    const v = new w.ChainVerifier(facts(c), policy);
    let verifierCpu = 0;
    let verifierWall = 0;
    let ceilingCpu = 0;
    let ceilingOps = 0;
    let staged = 0;
    const SLICE = 500;
    for (let start = 0; start < c.texts.length; start += SLICE) {
      const end = Math.min(c.texts.length, start + SLICE);
      const c0 = cpu();
      const w0 = process.hrtime.bigint();
      for (let i = start; i < end; i++) {
        const o = v.verifyNext(c.texts[i]);
        if (!o.ok) throw new Error(`verifier refused receipt: ${o.check}: ${o.detail}`);
        const r = o.receipt;
        if (store) store.stageReceipt(c.corridorId, { sequence: r.sequence, prev_root: r.prevRoot, next_root: r.nextRoot, source: 'http://bench', body: r.canonical });
        v.commit(r);
        if (store) {
          store.stageCursor('http://bench', c.corridorId, () => v.head());
          if (++staged === 2000) {
            store.flush();
            staged = 0;
          }
        }
      }
      if (store && end === c.texts.length) store.flush();
      verifierCpu += cpu() - c0;
      verifierWall += seconds(w0);
      const c1 = cpu();
      probe.run(2 * (end - start));
      ceilingCpu += cpu() - c1;
      ceilingOps += 2 * (end - start);
    }
    return { rate: c.texts.length / verifierCpu, wall: c.texts.length / verifierWall, ceiling: ceilingOps / ceilingCpu };
  } finally {
    store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A minimal node on loopback, in its own process (as a real node is), that serves the chain as the watcher contract's
 * SSE stream. Resolves with its URL and a stop function.
 */
async function sseNode(c) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-watcher-sse-'));
  const file = path.join(dir, 'chain.json');
  fs.writeFileSync(file, JSON.stringify({
    did: c.sequencer.did,
    vm: c.sequencer.verificationMethod,
    view: {
      corridor_id: c.corridorId,
      state: 'ACTIVE',
      state_channel: { genesis_root: c.genesis, lawpack_digest_set: c.lawpack, ruleset_digest_set: c.ruleset, head: { sequence: c.texts.length - 1, next_root: c.nextRoots[c.nextRoots.length - 1] } },
      peering: { sequencer: c.sequencer.did, signers: c.signers.map((k) => k.did) },
    },
    texts: c.texts,
  }));
  const child = spawn(process.execPath, [path.join(__dirname, 'sse-node.js'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`sse node exited with ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A daemon (in this process) catching up over SSE from receipt 0 until the whole chain is verified and durable. */
async function daemonCatchUp(c) {
  const server = await sseNode(c);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-watcher-daemon-'));
  const t0 = process.hrtime.bigint();
  const c0 = cpu();
  const watcher = await w.startWatcher({ nodes: [server.url], corridors: [c.corridorId], dataDir: dir, pollIntervalMs: 60_000 }, { log: () => {} });
  try {
    for (;;) {
      if (watcher.health().subscriptions[0].verified_head === c.texts.length - 1) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    watcher.flush();
    return { wall: c.texts.length / seconds(t0), rate: c.texts.length / (cpu() - c0) };
  } finally {
    await watcher.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function throughput() {
  console.log(`\n1. verification throughput, ${fmt(N)} co-signed receipts (2 proofs each)`);
  const t0 = process.hrtime.bigint();
  const c = buildChain(N);
  const policy = w.signerPolicy(c.sequencer.did, c.signers.map((k) => k.did), true);
  const probe = ceilingProbe(c);
  console.log(`   chain built in ${seconds(t0).toFixed(1)} s; a receipt is ${c.texts[100].length} bytes of canonical JSON, its signing input ${probe.bytes} bytes`);
  console.log('   rates per CPU second of this process, best of 3; each verifier run interleaved with the raw ceiling in 500-receipt slices');
  const best = (runs) => runs.reduce((a, b) => (b.rate / b.ceiling > a.rate / a.ceiling ? b : a));
  const verifier = [];
  const stored = [];
  const daemon = [];
  for (let round = 0; round < 3; round++) {
    verifier.push(interleaved(c, policy, probe, false));
    stored.push(interleaved(c, policy, probe, true));
    const d = await daemonCatchUp(c);
    const c1 = cpu();
    probe.run(4000);
    daemon.push({ ...d, ceiling: 4000 / (cpu() - c1) });
  }
  const v = best(verifier);
  const s = best(stored);
  const d = best(daemon);
  const pct = (r) => `${((100 * 2 * r.rate) / r.ceiling).toFixed(1)} % of the ceiling per proof`;
  line(`raw Ed25519 verify ceiling, one core (crypto.verify, ${probe.bytes}-byte message)`, fmt(v.ceiling), 'verifies/s');
  line('watcher verifier (parse, links, next_root, 2 proofs, MMR)', fmt(v.rate), 'receipts/s', `= ${fmt(2 * v.rate)} proofs/s, ${pct(v)}   target ≥ 80 %`);
  line('  + durable store (batches of 2,000, WAL, synchronous FULL)', fmt(s.rate), 'receipts/s', `${pct(s)}; ${fmt(s.wall)} receipts/s wall clock (fsync included)`);
  line('  daemon catching up over SSE on loopback (from receipt 0)', fmt(d.rate), 'receipts/s', `${pct(d)}; ${fmt(d.wall)} receipts/s wall clock`);
}

// ---- 2. checkpoint to quorum finality -------------------------------------------------------------------------

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function startProcess(name, main, env) {
  const child = spawn(process.execPath, ['-r', TS_REGISTER, main], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, name, output: () => out.slice(-4000) };
}

async function waitUntil(what, fn, timeoutMs = 60_000, intervalMs = 50) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function quorumLatency() {
  console.log(`\n2. checkpoint → watcher quorum finality: one node, three watcher daemons (2 of 3), loopback, ${ROUNDS} receipts`);
  const { buildExampleCorridor } = require('../../apps/cli/src/example-corridor');
  const token = crypto.randomBytes(24).toString('base64url');
  const operator = { authorization: `Bearer ${token}` };
  const dirs = [];
  const tmp = (tag) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${tag}-`));
    dirs.push(d);
    return d;
  };
  const procs = [];
  try {
    const nodePort = await freePort();
    const nodeUrl = `http://127.0.0.1:${nodePort}`;
    const node = startProcess('node', path.join(ROOT, 'apps', 'node', 'src', 'main.ts'), {
      CORRIDOR_DATA_DIR: tmp('node'),
      CORRIDOR_HTTP_PORT: String(nodePort),
      CORRIDOR_JURISDICTION: 'PK',
      CORRIDOR_OPERATOR_TOKENS: JSON.stringify({ bench: p.sha256Hex(token) }),
    });
    procs.push(node);
    await waitUntil(`the node to start\n${node.output()}`, async () => (await fetch(`${nodeUrl}/health/live`)).ok, 120_000, 200);
    const api = async (method, urlPath, body) => {
      const res = await fetch(nodeUrl + urlPath, { method, headers: { ...operator, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
    };
    const id = 'org.bench.quorum';
    const c = buildExampleCorridor({ corridorId: id, seed: id, issuedAt: '2026-01-01T00:00:00Z' });
    for (const [urlPath, body] of [['/corridors', c.requests.create], [`/corridors/${id}/submit`, c.requests.submit], [`/corridors/${id}/activate`, c.requests.activate]]) {
      const r = await api('POST', urlPath, body);
      if (r.status !== 201) throw new Error(`${urlPath}: ${r.status} ${r.text}`);
    }
    let size = 0;
    const transition = async () => {
      const r = await api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${size}`, amount: '1250.00', currency: 'USD' } } });
      if (r.status !== 201) throw new Error(`transition: ${r.status} ${r.text}`);
      size += 1;
    };
    await transition();

    const watchers = [];
    for (let i = 0; i < 3; i++) {
      const dataDir = tmp(`watcher-${i}`);
      const key = p.Ed25519KeyPair.fromSeed(crypto.createHash('sha256').update(`bench watcher ${i}`).digest(), `watcher-${i}`);
      fs.writeFileSync(path.join(dataDir, 'watcher.jwk'), JSON.stringify(key.toJwk({ includePrivate: true })), { mode: 0o600 });
      const bond = await api('POST', '/watcher-bonds', { watcher_id: key.did, bond_id: `bond-${i}`, amount: '1000.00', currency: 'USDC', corridor_ids: [id] });
      if (bond.status !== 201) throw new Error(`bond: ${bond.status} ${bond.text}`);
      const port = await freePort();
      const proc = startProcess(`watcher-${i}`, path.join(ROOT, 'apps', 'watcher', 'src', 'main.ts'), {
        WATCHER_NODES: nodeUrl,
        WATCHER_CORRIDORS: id,
        WATCHER_DATA_DIR: dataDir,
        WATCHER_KEY: path.join(dataDir, 'watcher.jwk'),
        WATCHER_HTTP_PORT: String(port),
        WATCHER_MAX_BACKOFF_MS: '1000',
      });
      procs.push(proc);
      watchers.push({ proc, url: `http://127.0.0.1:${port}` });
    }
    for (const wt of watchers) await waitUntil(`${wt.proc.name} to be healthy\n${wt.proc.output()}`, async () => (await fetch(`${wt.url}/health`)).ok, 60_000, 100);

    const quorumAt = async () => (await api('GET', `/corridors/${id}`)).body?.watcher_quorum?.receipt_count ?? 0;
    await waitUntil('the first quorum', async () => (await quorumAt()) === size, 60_000, 20);
    const latencies = [];
    for (let round = 0; round < ROUNDS; round++) {
      await transition();
      const t0 = process.hrtime.bigint();
      await waitUntil(`quorum at ${size}`, async () => (await quorumAt()) === size, 30_000, 2);
      latencies.push(seconds(t0) * 1000);
    }
    latencies.sort((a, b) => a - b);
    line('receipt appended → watcher quorum recorded by the node, p50', percentile(latencies, 50).toFixed(0), 'ms');
    line('                                                        p95', percentile(latencies, 95).toFixed(0), 'ms');
    line('                                                        p99', percentile(latencies, 99).toFixed(0), 'ms   target < 1,000');
    line('                                                        max', latencies[latencies.length - 1].toFixed(0), 'ms');
  } finally {
    for (const pr of procs.reverse()) {
      pr.child.kill('SIGTERM');
      await new Promise((r) => (pr.child.exitCode !== null ? r() : pr.child.once('exit', r)));
    }
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

(async () => {
  console.log(`machine: ${machine()}`);
  await throughput();
  if (!values['skip-quorum']) await quorumLatency();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
