'use strict';
// Materialises the golden-vector corridor in the reference's repository layout and extends its chain with N
// freshly signed receipts, so `corridor chain verify` can be measured on a chain of any length.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const p = require('@corridor/protocol');

function loadChainVectors() {
  const file = path.join(__dirname, '..', '..', 'test', 'fixtures', 'vectors', 'corridor-chain.json');
  return p.parseJsonText(fs.readFileSync(file, 'utf8'));
}

function materialiseCorridor(receiptCount, { cosign = true } = {}) {
  const V = loadChainVectors();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-bench-'));
  const put = (rel, content) => {
    const f = path.join(root, rel);
    fs.mkdirSync(path.dirname(f), { recursive: true });
    fs.writeFileSync(f, content);
  };
  const descriptors = Object.entries(V.corridor.ruleset_descriptors);
  put('registries/rulesets.yaml', `rulesets:\n${descriptors.map(([id, d]) => `  - ruleset_id: ${id}\n    path: ${d.path}\n`).join('')}`);
  for (const [, d] of descriptors) put(d.path, JSON.stringify(d.content, null, 2) + '\n');
  const mod = 'modules/corridors/bench';
  for (const [name, content] of Object.entries(V.corridor.module_dir_files)) put(`${mod}/${name}`, content);

  const keyA = p.Ed25519KeyPair.fromJwk(V.corridor.signer_key_files['zone-a.ed25519.jwk']);
  const keyB = p.Ed25519KeyPair.fromJwk(V.corridor.signer_key_files['zone-b.ed25519.jwk']);
  const first = V.receipts[0].signed_receipt;
  let prev = V.genesis.genesis_root;
  const nextRoots = [];
  for (let seq = 0; seq < receiptCount; seq++) {
    const body = p.buildReceipt({
      corridor_id: first.corridor_id,
      sequence: seq,
      timestamp: new Date(Date.UTC(2025, 0, 2) + seq * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      prev_root: prev,
      lawpack_digest_set: first.lawpack_digest_set,
      ruleset_digest_set: first.ruleset_digest_set,
      transition: p.makeTransitionEnvelope({ kind: 'trade.invoice.issue.v1', payload: { invoice: `INV-${seq}`, amount: { value: String(1000 + seq), currency: 'USD' }, lines: [{ sku: 'A-1', qty: 3 }, { sku: 'B-2', qty: 7 }] } }),
    });
    let signed = p.addProof(body, keyA, { created: body.timestamp });
    if (cosign) signed = p.addProof(signed, keyB, { created: body.timestamp });
    put(`${mod}/state/receipts/r${String(seq).padStart(7, '0')}.json`, p.canonicalize(signed) + '\n');
    nextRoots.push(body.next_root);
    prev = body.next_root;
  }
  return { root, module: path.join(root, mod), receipts: path.join(root, mod, 'state', 'receipts'), nextRoots, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

module.exports = { materialiseCorridor };
