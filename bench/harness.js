'use strict';
// Shared timing helpers for the benchmarks: run a function for a fixed wall time, report ops/s.
const crypto = require('node:crypto');
const os = require('node:os');

function measure(fn, { seconds = 1.5, batch = 100 } = {}) {
  // Warm up the JIT first, so the figure is the steady state.
  for (let i = 0; i < batch * 5; i++) fn(i);
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed;
  do {
    for (let i = 0; i < batch; i++) fn(n + i);
    n += batch;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  } while (elapsed < seconds);
  return n / elapsed;
}

function machine() {
  const cpu = os.cpus()[0];
  return `${os.cpus().length} × ${cpu ? cpu.model.trim() : 'unknown cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, ${os.platform()} ${os.release()}`;
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}

function row(name, value, unit, target) {
  const t = target ? `   target ${target}` : '';
  console.log(`${name.padEnd(58)} ${fmt(value).padStart(12)} ${unit}${t}`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * node:crypto Ed25519 signatures per second on one core, right now: the speed of this (shared) machine at the time
 * of a run, printed next to figures that depend on it.
 */
function ed25519SignRate() {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const message = Buffer.alloc(1000, 7);
  for (let i = 0; i < 500; i++) crypto.sign(null, message, privateKey);
  const t0 = process.hrtime.bigint();
  let n = 0;
  while (Number(process.hrtime.bigint() - t0) < 5e8) {
    for (let i = 0; i < 100; i++) crypto.sign(null, message, privateKey);
    n += 100;
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

module.exports = { measure, machine, fmt, row, percentile, ed25519SignRate };
