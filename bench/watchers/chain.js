'use strict';
// A corridor state channel of N co-signed receipts, built with the protocol's own helpers exactly as nodes build
// them (the sequencer's proof first, then the co-signer's), as the canonical JSON text a node serves.
const crypto = require('node:crypto');
const p = require('@corridor/protocol');

const seed = (tag) => crypto.createHash('sha256').update(tag).digest();

function buildChain(n, { corridorId = 'org.bench.watched', cosign = true } = {}) {
  const sequencer = p.Ed25519KeyPair.fromSeed(seed('bench watcher: sequencer'), 'zone-a');
  const cosigner = p.Ed25519KeyPair.fromSeed(seed('bench watcher: co-signer'), 'zone-b');
  const lawpack = [p.sha256Hex('bench:lawpack')];
  const ruleset = [p.sha256Hex('bench:ruleset-a'), p.sha256Hex('bench:ruleset-b')].sort();
  const genesis = p.genesisRoot({ corridor_id: corridorId, definition_payload_sha256: p.sha256Hex('bench:def'), agreement_set_sha256: p.sha256Hex('bench:agr'), lawpack_digest_set: lawpack, ruleset_digest_set: ruleset });
  const texts = [];
  const nextRoots = [];
  let prev = genesis;
  for (let seq = 0; seq < n; seq++) {
    const timestamp = new Date(Date.UTC(2026, 0, 1) + seq * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const body = p.buildReceipt({
      corridor_id: corridorId,
      sequence: seq,
      timestamp,
      prev_root: prev,
      lawpack_digest_set: lawpack,
      ruleset_digest_set: ruleset,
      transition: p.makeTransitionEnvelope({ kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${seq}`, amount: { value: String(1000 + seq), currency: 'USD' }, lines: [{ sku: 'A-1', qty: 3 }, { sku: 'B-2', qty: 7 }] } }),
    });
    let signed = p.addProof(body, sequencer, { created: timestamp });
    if (cosign) signed = p.addProof(signed, cosigner, { created: timestamp });
    texts.push(p.canonicalize(signed));
    nextRoots.push(body.next_root);
    prev = body.next_root;
  }
  return { corridorId, sequencer, cosigner, signers: cosign ? [sequencer, cosigner] : [sequencer], genesis, lawpack, ruleset, texts, nextRoots };
}

module.exports = { buildChain };
