'use strict';
// bench/protocol: the protocol's hot paths on this machine, next to the raw node crypto ceiling.
// Run: npm run bench:protocol   (builds first; uses the compiled libs)
const crypto = require('node:crypto');
const path = require('node:path');
const p = require('@corridor/protocol');
const { measure, machine, row } = require('../harness');

const vectors = p.parseJsonText(require('node:fs').readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'vectors', 'corridor-chain.json'), 'utf8'));

console.log(`machine: ${machine()}`);
console.log('[brackets] = the Python reference measured on the same machine kind\n');

// 1. Canonical bytes + next_root of a ~1 KB receipt.
const receipt = { ...vectors.receipts[3].signed_receipt };
const bytes = p.canonicalize(receipt).length;
row(`canonical bytes + next_root of a ${bytes}-byte receipt`, measure(() => p.computeNextRoot(receipt)), 'ops/s', '≥ 100,000 [49k]');
const text = JSON.stringify(receipt);
row('parse receipt JSON text (floats refused, big ints exact)', measure(() => p.parseJsonText(text)), 'ops/s');

// 2. MMR append.
const leaves = Array.from({ length: 200000 }, (_, i) => crypto.createHash('sha256').update('leaf-' + i).digest('hex'));
{
  let acc = new p.MmrAccumulator();
  const rate = measure((i) => {
    if (acc.size >= leaves.length) acc = new p.MmrAccumulator();
    acc.append(leaves[i % leaves.length]);
  }, { batch: 1000 });
  row('MMR append (next_root hex → leaf hash → peaks)', rate, 'leaves/s', '≥ 300,000 [264k]');
}

// 3. Inclusion-proof verification in a 1,000,000-leaf MMR.
{
  const log = new p.MmrNodeLog();
  const roots = [];
  for (let i = 0; i < 1_000_000; i++) {
    const r = crypto.createHash('sha256').update('receipt-' + i).digest('hex');
    roots.push(r);
    log.appendNextRoot(r);
  }
  const proofs = Array.from({ length: 2000 }, (_, k) => {
    const i = (k * 7919) % roots.length;
    return JSON.parse(JSON.stringify(log.buildInclusionProof(i, roots[i])));
  });
  let bad = 0;
  const rate = measure((i) => { if (!p.verifyInclusionProof(proofs[i % proofs.length]).valid) bad++; });
  if (bad) throw new Error(`${bad} inclusion proofs failed to verify`);
  row('inclusion-proof verify, 1,000,000-leaf MMR', rate, 'ops/s', '≥ 20,000');
}

// 4. Ed25519 through the protocol vs node crypto directly (the ceiling).
{
  const key = p.Ed25519KeyPair.fromSeed(crypto.createHash('sha256').update('bench').digest());
  const msg = Buffer.from(p.canonicalize(receipt));
  const raw = crypto.createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), key.seed()]), format: 'der', type: 'pkcs8' });
  const rawPub = crypto.createPublicKey(raw);
  const sig = key.sign(msg);
  const ceilingSign = measure(() => crypto.sign(null, msg, raw));
  // Distinct signed messages, more than the protocol's cache of verified signatures holds (it remembers successes):
  // every verification below is a real one, as a node verifying new receipts does.
  const DISTINCT = 20_000;
  const msgs = Array.from({ length: DISTINCT }, (_, i) => Buffer.concat([msg, Buffer.from(String(i))]));
  const sigs = msgs.map((m) => key.sign(m));
  let k = 0; // one running index across warm-up and measurement: no message is verified twice within the cache's span
  const ceilingVerify = measure(() => (k++, crypto.verify(null, msgs[k % DISTINCT], rawPub, sigs[k % DISTINCT])));
  const ours = measure(() => key.sign(msg));
  k = 0;
  const oursVerify = measure(() => (k++, p.verifyEd25519(key.publicKey, msgs[k % DISTINCT], sigs[k % DISTINCT])));
  row('Ed25519 sign, raw node crypto (ceiling)', ceilingSign, 'ops/s');
  row('Ed25519 sign, protocol', ours, 'ops/s', `within 10 % (${((ours / ceilingSign) * 100).toFixed(0)} %)`);
  row('Ed25519 verify, raw node crypto (ceiling)', ceilingVerify, 'ops/s');
  row('Ed25519 verify, protocol', oursVerify, 'ops/s', `within 10 % (${((oursVerify / ceilingVerify) * 100).toFixed(0)} %)`);
  const doc = { ...receipt };
  delete doc.proof;
  const signedDocs = Array.from({ length: DISTINCT }, (_, i) => p.addProof({ ...doc, sequence: i }, key));
  row('receipt proof: add (canonicalize + sign)', measure(() => p.addProof(doc, key)), 'ops/s');
  k = 0;
  row('receipt proof: verify (canonicalize + verify)', measure(() => p.verifyProofs(signedDocs[k++ % DISTINCT])), 'ops/s');
}
