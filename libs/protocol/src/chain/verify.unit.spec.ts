import { createHash } from 'node:crypto';
import { canonicalize } from '../json/canonical';
import type { JsonObject, JsonValue } from '../json/json-value';
import { Ed25519KeyPair } from '../keys/ed25519';
import { addProof } from '../proofs/proof';
import { buildReceipt } from '../receipts/receipt';
import { makeTransitionEnvelope } from '../receipts/transition-envelope';
import { checkpointFromChain } from './checkpoint';
import { inspectForks } from './forks';
import { verifyCorridorChain } from './verify';
import type { ChainExpectations, ReceiptSource } from './types';

/** The optional checks of chain verification, on a small synthetic corridor. */
const seed = (tag: string) => createHash('sha256').update(tag).digest();
const A = Ed25519KeyPair.fromSeed(seed('verify-unit-a'));
const B = Ed25519KeyPair.fromSeed(seed('verify-unit-b'));
const C = Ed25519KeyPair.fromSeed(seed('verify-unit-c'));
const d = (c: string) => c.repeat(64);

const base: ChainExpectations = {
  corridor_id: 'org.example.unit',
  genesis_root: d('1'),
  ruleset_digest_set: [d('2')],
  lawpack_digest_set: [d('3')],
  transition_type_registry_digest_sha256: d('4'),
  trust_anchors: [
    { did: A.did, allowed_attestations: ['corridor_receipt'], raw: {} },
    { did: B.did, allowed_attestations: ['corridor_receipt'], raw: {} },
  ],
  receipt_signing_thresholds: [{ role: 'zone', required: 2 }],
  role_by_did: { [A.did]: 'zone', [B.did]: 'zone' },
  agreement_errors: [],
};

function chain(signers: Ed25519KeyPair[][], overrides: (i: number) => Partial<JsonObject> = () => ({}), genesis = base.genesis_root): JsonObject[] {
  const out: JsonObject[] = [];
  let prev = genesis;
  signers.forEach((keys, sequence) => {
    const draft = buildReceipt({
      corridor_id: base.corridor_id,
      sequence,
      timestamp: '2025-01-01T00:00:00Z',
      prev_root: prev,
      lawpack_digest_set: base.lawpack_digest_set,
      ruleset_digest_set: base.ruleset_digest_set,
      transition: makeTransitionEnvelope({ kind: 'unit', payload: { sequence } }),
      ...overrides(sequence),
    });
    let signed: JsonObject = draft;
    for (const k of keys) signed = addProof(signed, k, { created: '2025-01-01T00:00:01Z' });
    out.push(signed);
    prev = draft.next_root;
  });
  return out;
}
const files = (receipts: JsonObject[]): ReceiptSource[] => receipts.map((r, i) => ({ path: `r${i}.json`, text: canonicalize(r) + '\n' }));
const checks = (v: { errors: { check: string }[] }) => v.errors.map((e) => e.check);

describe('chain verification options', () => {
  it('trust anchors: a receipt signed only by a key that is not an anchor fails at trust-anchor', () => {
    const rs = chain([[A], [C], [A]]);
    expect(verifyCorridorChain(base, files(rs)).valid).toBe(true);
    const v = verifyCorridorChain(base, files(rs), { enforceTrustAnchors: true });
    expect(checks(v)).toEqual(['trust-anchor']);
    expect(v.errors[0].path).toBe('r1.json');
    expect(checks(verifyCorridorChain({ ...base, trust_anchors: [] }, files(rs), { enforceTrustAnchors: true }))).toContain('trust-anchors');
  });

  it('receipt thresholds: an under-signed receipt is dropped, so the chain ends before it', () => {
    const rs = chain([[A, B], [A], [A, B]]);
    const v = verifyCorridorChain(base, files(rs), { enforceReceiptThreshold: true });
    expect(v.valid).toBe(true);
    expect(v.result!.receipt_count).toBe(1);
    expect(v.warnings.map((w) => w.code)).toEqual(['unreachable-beyond-head']);
    expect(verifyCorridorChain(base, files(rs)).result!.receipt_count).toBe(3);
    // Agreement errors count when thresholds are enforced.
    expect(checks(verifyCorridorChain({ ...base, agreement_errors: ['agreement: broken'] }, files(rs), { enforceReceiptThreshold: true }))).toEqual(['agreement']);
  });

  it('transition-type registry: a receipt pinning another registry fails only when enforced', () => {
    const rs = chain([[A], [A]], (i) => (i === 1 ? { transition_type_registry_digest_sha256: d('5') } : { transition_type_registry_digest_sha256: d('4') }));
    expect(verifyCorridorChain(base, files(rs)).valid).toBe(true);
    expect(checks(verifyCorridorChain(base, files(rs), { enforceTransitionTypes: true }))).toEqual(['transition-type-registry']);
  });

  it('digest sets are compared as sets: missing or extra lawpacks fail, order and duplicates do not', () => {
    const missing = chain([[A]], () => ({ lawpack_digest_set: [] }));
    expect(checks(verifyCorridorChain(base, files(missing)))).toEqual(['lawpack-digest-set']);
    const dup = chain([[A]], () => ({ lawpack_digest_set: [d('3'), d('3')] }));
    expect(verifyCorridorChain(base, files(dup)).valid).toBe(true);
  });

  it('receipts of another genesis: genesis-mismatch', () => {
    expect(checks(verifyCorridorChain(base, files(chain([[A]], undefined, d('9')))))).toEqual(['genesis-mismatch']);
  });

  it('every invalid file is reported, each at its first failing check', () => {
    const rs = chain([[A], [A], [A]]);
    const broken = [
      { path: 'r0.json', text: '{"a":1.0}' },
      { path: 'r1.json', value: { ...rs[1], sequence: 7 } },
      { path: 'r2.json', value: { ...rs[2], proof: undefined } as unknown as JsonObject },
    ];
    expect(checks(verifyCorridorChain(base, broken))).toEqual(['parse', 'next-root', 'schema']);
  });

  it('from a checkpoint: tail receipts that do not connect are checkpoint-disconnected', () => {
    const rs = chain([[A], [A], [A], [A]]);
    const head = verifyCorridorChain(base, files(rs.slice(0, 2))).result!;
    const ck = addProof(checkpointFromChain(head, '2025-01-01T00:00:02Z'), A, { created: '2025-01-01T00:00:02Z' });
    const ok = verifyCorridorChain(base, files(rs.slice(2)), { fromCheckpoint: { value: ck } });
    expect(ok.valid).toBe(true);
    expect(ok.result!.mmr.root).toBe(verifyCorridorChain(base, files(rs)).result!.mmr.root);
    expect(checks(verifyCorridorChain(base, files(rs.slice(3)), { fromCheckpoint: { value: ck } }))).toEqual(['checkpoint-disconnected']);
    expect(checks(verifyCorridorChain({ ...base, corridor_id: 'other' }, files(rs.slice(2)), { fromCheckpoint: { value: ck } }))).toEqual(['checkpoint-corridor']);
    const other = chain([[A], [A]], undefined, d('8'));
    const foreign = addProof(checkpointFromChain({ ...head, genesis_root: d('8'), receipts: other, final_state_root: other[1].next_root as string }, '2025-01-01T00:00:02Z'), A);
    expect(checks(verifyCorridorChain(base, files(rs.slice(2)), { fromCheckpoint: { value: foreign } }))).toEqual(['checkpoint-genesis']);
  });

  it('fork resolutions: conflicting resolutions and (when required) unsigned ones are errors', () => {
    const fork = chain([[A]]).concat(chain([[A]], () => ({ timestamp: '2025-01-01T00:00:09Z' })));
    const res = (next: JsonValue): JsonObject => ({ type: 'MSEZCorridorForkResolution', corridor_id: base.corridor_id, sequence: 0, prev_root: base.genesis_root, chosen_next_root: next, resolved_at: '2025-01-02T00:00:00Z' });
    const one = verifyCorridorChain(base, files(fork), { forkResolutions: [{ path: 'a.json', value: res(fork[0].next_root) }] });
    expect(one.valid).toBe(true);
    const conflict = verifyCorridorChain(base, files(fork), {
      forkResolutions: [
        { path: 'a.json', value: res(fork[0].next_root) },
        { path: 'b.json', value: res(fork[1].next_root) },
      ],
    });
    expect(checks(conflict)).toEqual(['fork-resolution']);
    const unsigned = verifyCorridorChain(base, files(fork), { forkResolutions: [{ path: 'a.json', value: res(fork[0].next_root) }], requireSignedForkResolutions: true });
    expect(checks(unsigned)[0]).toBe('fork-resolution');
    const foreign = verifyCorridorChain(base, files(fork), { forkResolutions: [{ path: 'a.json', value: { ...res(fork[0].next_root), corridor_id: 'other' } }] });
    expect(checks(foreign)[0]).toBe('fork-resolution');
  });

  it('fork-inspect lists invalid receipts instead of failing', () => {
    const rs = chain([[A], [A]]);
    const report = inspectForks(base, [...files(rs), { path: 'x.json', value: { ...rs[1], corridor_id: 'other' } }, { path: 'y.json', text: 'nope' }]);
    expect(report.receipts).toEqual({
      total: 4,
      valid: 2,
      invalid: 2,
      invalid_details: [
        { path: 'x.json', error: 'corridor_id mismatch' },
        { path: 'y.json', error: expect.stringMatching(/^json parse failed/) },
      ],
    });
    expect(report.canonical_head).toEqual({ receipt_count: 2, final_state_root: rs[1].next_root, last_sequence: 1 });
    expect(report.recommendations).toEqual([expect.stringMatching(/^INVALID_RECEIPTS_PRESENT/)]);
  });
});
