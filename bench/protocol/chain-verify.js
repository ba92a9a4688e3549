'use strict';
// bench/protocol/chain-verify: `corridor chain verify` end to end (read files, parse, schema, next_root,
// digest sets, signatures, walk, MMR) on a chain of N co-signed receipts.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { materialiseCorridor } = require('./corridor-module');
const { machine, row } = require('../harness');

const n = Number(process.argv[2] ?? 20000);
console.log(`machine: ${machine()}`);
const t0 = Date.now();
const c = materialiseCorridor(n);
console.log(`generated ${n} co-signed receipts in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
try {
  const bin = path.join(__dirname, '..', '..', 'apps', 'cli', 'bin', 'corridor.js');
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [bin, 'chain', 'verify', '--module', c.module, '--receipts', c.receipts], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (r.status !== 0) throw new Error(`chain verify failed (exit ${r.status}): ${r.stderr.slice(0, 500)} ${r.stdout.slice(0, 500)}`);
    const out = JSON.parse(r.stdout);
    if (out.receipt_count !== n || out.final_state_root !== c.nextRoots[n - 1]) throw new Error('chain verify returned a wrong head');
    runs.push(seconds);
  }
  const best = Math.min(...runs);
  row(`corridor chain verify, ${n} receipts (whole process, best of 3)`, n / best, 'receipts/s', '≥ 7,000 using both cores [1.5k]');
} finally {
  c.cleanup();
}
