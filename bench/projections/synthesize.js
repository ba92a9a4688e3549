'use strict';
// Synthesises a ledger SQLite file of N events the way the node lays them out: one stream per aggregate chain
// (a corridor has a lifecycle chain `corridor_lifecycle-<id>` and a state channel `corridor-<id>`), each event a
// sealed receipt (canonical JSON, next_root chained from prev_root) whose transition is {kind: event type,
// payload: event data}, except on state channels, whose receipts commit to the recorded transition itself. Rows are inserted straight into the ledger's tables (one transaction
// per 20,000 events) instead of going through append(), which is the ledger's business, not this benchmark's.
// Receipts are not signed (signing a million receipts measures Ed25519, not projections).
const fs = require('node:fs');
const p = require('@corridor/protocol');
const { SqliteEventStore, eventIdFromDigest } = require('@corridor/ledger');

const JURISDICTIONS = ['pk', 'ae'];
const DOMAINS = ['aml', 'kyc', 'sanctions', 'tax', 'securities', 'corporate', 'custody', 'data_privacy', 'licensing', 'banking'];
const STATES = ['compliant', 'compliant', 'compliant', 'exempt', 'not_applicable', 'pending', 'non_compliant'];

/** Deterministic pseudo-random numbers (mulberry32), so every run synthesises the same log. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const day = (n) => new Date(Date.UTC(2025, 0, 1) + n * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

async function synthesize(file, total, { subjects = 10_000, corridors = 10 } = {}) {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  const store = SqliteEventStore.open({ path: file, durability: 'normal' });
  const db = store.db;
  const insert = db.prepare('INSERT INTO events (position, stream, revision, event_id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)');
  const head = db.prepare('INSERT INTO streams (stream, revision, position) VALUES (?, ?, ?) ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision, position = excluded.position');
  const random = rng(42);
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  const heads = new Map();
  let position = 0;
  let rows = [];
  const flush = db.transaction((batch) => {
    for (const r of batch) insert.run(...r);
    for (const [stream, h] of heads) if (h.dirty) {
      head.run(stream, h.sequence, h.position);
      h.dirty = false;
    }
  });
  const append = (stream, type, data, envelope) => {
    let h = heads.get(stream);
    if (!h) heads.set(stream, (h = { sequence: -1, root: p.sha256Hex(`genesis:${stream}`), position: 0, dirty: true }));
    const sequence = h.sequence + 1;
    const receipt = p.buildReceipt({
      corridor_id: typeof data.corridor_id === 'string' ? data.corridor_id : stream,
      sequence,
      timestamp: data.at,
      prev_root: h.root,
      lawpack_digest_set: [],
      ruleset_digest_set: [],
      transition: envelope ?? p.makeTransitionEnvelope({ kind: type, payload: data }),
    });
    position++;
    h.sequence = sequence;
    h.root = receipt.next_root;
    h.position = position;
    h.dirty = true;
    rows.push([position, stream, sequence, eventIdFromDigest(receipt.next_root), type, p.canonicalize(receipt), Date.now()]);
    if (rows.length >= 20_000) {
      flush(rows);
      rows = [];
    }
  };

  const ordinals = new Map();
  const sagas = [];
  let nextSaga = 0;
  const watchers = Array.from({ length: 200 }, (_, i) => `did:key:zBenchWatcher${i}`);
  const watcherPosted = new Set();
  let nextDispute = 0;
  const disputes = [];
  for (let c = 0; c < corridors; c++) {
    const id = `corridor:bench-${c}`;
    append(`corridor_lifecycle-bench-${c}`, 'corridor.created.v1', { corridor_id: id, at: day(0), state: 'DRAFT', trust_anchors: [] });
    append(`corridor_lifecycle-bench-${c}`, 'corridor.activated.v1', { corridor_id: id, at: day(1), transition: 'activate', from_state: 'PENDING', to_state: 'ACTIVE', evidence: [], authorization: null, facts: {} });
  }
  while (position < total) {
    const r = random();
    const c = Math.floor(random() * corridors);
    const corridorId = `corridor:bench-${c}`;
    const stream = `corridor-bench-${c}`;
    const at = day(2 + Math.floor(random() * 300));
    const transition = (kind, payload) => {
      const n = (ordinals.get(stream) ?? 0) + 1;
      ordinals.set(stream, n);
      // The state channel's receipts commit to the recorded transition itself, as the node stores them.
      const envelope = p.makeTransitionEnvelope({ kind, payload });
      append(stream, 'corridor.transition-recorded.v1', { corridor_id: corridorId, at, ordinal: n, transition: envelope }, envelope);
    };
    const subject = `entity-${Math.floor(random() * subjects)}`;
    if (r < 0.65) {
      transition('compliance.attestation.issued.v1', {
        subject,
        jurisdiction: pick(JURISDICTIONS),
        domain: pick(DOMAINS),
        state: pick(STATES),
        issuer_did: `did:key:zBenchIssuer${Math.floor(random() * 20)}`,
        issued_at: at,
        expires_at: random() < 0.5 ? day(200 + Math.floor(random() * 400)) : null,
        n: position,
      });
    } else if (r < 0.72) {
      transition('sanctions.screening.v1', { subject, jurisdiction: pick(JURISDICTIONS), result: random() < 0.95 ? 'clear' : 'potential_match', issuer_did: 'did:key:zBenchScreener', screened_at: at, n: position });
    } else if (r < 0.75) {
      transition(random() < 0.8 ? 'licence.granted.v1' : 'licence.suspended.v1', { holder: subject, jurisdiction: pick(JURISDICTIONS), issuer_did: 'did:key:zBenchRegulator', effective_at: at, valid_until: day(400), n: position });
    } else if (r < 0.78) {
      if (position % 500 === 0) transition('compliance.attestation.revoked.v1', { attestation_digest_sha256: p.sha256Hex(`unknown-${position}`) });
      else transition('trade.invoice.issued.v1', { invoice: `INV-${position}`, amount: '1250.00' });
    } else if (r < 0.88) {
      // A migration saga: start one, or advance an open one.
      if (sagas.length < 50 || random() < 0.2) {
        const id = `mig-${nextSaga++}`;
        sagas.push({ id, phase: 0 });
        append(`saga-${id}`, 'migration-saga.started.v1', {
          migration_id: id, at, corridor_id: corridorId, corridor_genesis_root: 'e'.repeat(64), asset_id: `asset-${id}`,
          source_jurisdiction: 'pk', destination_jurisdiction: 'ae', deadline: day(320), phase: 'initiated',
        });
      } else {
        const i = Math.floor(random() * sagas.length);
        const s = sagas[i];
        const phases = ['initiated', 'compliance_check', 'attestation_gathering', 'source_lock', 'transit', 'destination_verification', 'destination_unlock', 'completed'];
        const from = phases[s.phase];
        const to = phases[s.phase + 1];
        const evidence = p.sha256Hex(`evidence ${s.id} ${from}`);
        append(`saga-${s.id}`, to === 'completed' ? 'migration-saga.completed.v1' : 'migration-saga.phase-advanced.v1', {
          migration_id: s.id, at, from_phase: from, to_phase: to, evidence_digest_sha256: evidence,
          corridor_transition: { corridor_id: corridorId, kind: 'migration.step.completed.v1', payload: { migration_id: s.id, asset_id: `asset-${s.id}`, step: from, evidence_digest_sha256: evidence } },
        });
        s.phase++;
        if (to === 'completed') sagas.splice(i, 1);
      }
    } else if (r < 0.97) {
      const w = pick(watchers);
      if (!watcherPosted.has(w)) {
        watcherPosted.add(w);
        append(`watcher-${w}`, 'watcher-bond.posted.v1', { watcher_id: w, bond_id: `bond-${w}`, at, amount: '1000', currency: 'USDC', corridor_ids: [corridorId] });
      } else {
        const h = heads.get(`watcher-${w}`);
        append(`watcher-${w}`, 'watcher-bond.attestation-recorded.v1', { watcher_id: w, bond_id: `bond-${w}`, at, corridor_id: corridorId, attestation_digest_sha256: p.sha256Hex(`att ${position}`), attestation_count: h.sequence + 1 });
      }
    } else {
      if (disputes.length < 20 || random() < 0.3) {
        const id = `d-${nextDispute++}`;
        disputes.push({ id, step: 0 });
        append(`dispute-${id}`, 'dispute.filed.v1', { dispute_id: id, at, corridor_id: corridorId, corridor_genesis_root: 'e'.repeat(64), corridor_head_commitment_sha256: 'f'.repeat(64), claimant: subject, respondent: `entity-${Math.floor(random() * subjects)}`, filing_digest_sha256: p.sha256Hex(id) });
      } else {
        const i = Math.floor(random() * disputes.length);
        const d = disputes[i];
        const steps = [
          ['dispute.review-started.v1', { case_reference: `C-${d.id}`, arbitrator: 'did:key:zBenchArbitrator' }],
          ['dispute.evidence-collection-opened.v1', { procedural_order_digest_sha256: p.sha256Hex(`po ${d.id}`), evidence_deadline: day(330) }],
          ['dispute.hearing-scheduled.v1', { hearing_at: day(340) }],
          ['dispute.dismissed.v1', { dismissal_order_digest_sha256: p.sha256Hex(`dismiss ${d.id}`), reason: 'withdrawn' }],
        ];
        const [type, extra] = steps[d.step];
        append(`dispute-${d.id}`, type, { dispute_id: d.id, at, ...extra });
        d.step++;
        if (d.step === steps.length) disputes.splice(i, 1);
      }
    }
  }
  flush(rows);
  await store.close();
  return { events: position, streams: heads.size };
}

module.exports = { synthesize };
