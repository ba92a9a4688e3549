import { createHash } from 'node:crypto';
import {
  agreementSetPreimage,
  agreementSetSha256,
  canonicalize,
  digestOf,
  EquivocationDetector,
  equivocationEvidenceDigest,
  headCommitment,
  headCommitmentDigest,
  lawpackDigest,
  makeTransitionEnvelope,
  transitionTypeRegistryLockDigest,
  transitionTypeRegistrySnapshot,
  transitionTypeRegistrySnapshotDigest,
  TRANSITION_TYPES_SNAPSHOT_TAG,
} from '@corridor/protocol';
import { loadVectors } from '../support/vectors';

/** Every item of digests.json, each as its own test. */
const V = loadVectors('digests.json');
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const named = (group: any[], label: (x: any, i: number) => string) => group.map((x, i): [string, any] => [label(x, i), x]);

describe('head commitment', () => {
  it.each(named(V.head_commitment, (x, i) => `#${i} ${JSON.stringify(x.input.corridor_id)} count=${x.input.receipt_count}`))('%s', (_n, c: any) => {
    expect(canonicalize(headCommitment(c.input))).toBe(c.preimage_canonical_utf8);
    expect(headCommitmentDigest(c.input)).toBe(c.head_commitment_digest_sha256);
  });
});

describe('agreement_set_sha256 (reference quirk: ASCII json.dumps, reproduced)', () => {
  it.each(named(V.agreement_set_sha256, (x) => x.input.corridor_id))('%s', (_n, c: any) => {
    // Ours reproduces the reference byte for byte…
    expect(agreementSetPreimage(c.input)).toBe(c.reference_preimage_utf8);
    expect(agreementSetSha256(c.input)).toBe(c.reference_agreement_set_sha256);
    // …and the canonical (JCS) form the rest of the protocol uses is shown beside it: equal only for ASCII data.
    const jcsObject = { ...c.input, agreement_payload_sha256: [...c.input.agreement_payload_sha256].sort() };
    expect(canonicalize(jcsObject)).toBe(c.jcs_preimage_utf8);
    expect(digestOf(jcsObject)).toBe(c.jcs_sha256);
    expect(agreementSetSha256(c.input) === digestOf(jcsObject)).toBe(c.identical);
    expect(/[^\x00-\x7f]/.test(c.input.corridor_id)).toBe(!c.identical);
  });
});

describe('transition payload_sha256', () => {
  it.each(named(V.transition_payload_sha256, (x) => JSON.stringify(x.payload)))('payload %s', (_n, c: any) => {
    expect(digestOf(c.payload)).toBe(c.payload_sha256);
    expect(makeTransitionEnvelope({ kind: 'k', payload: c.payload }).payload_sha256).toBe(c.payload_sha256);
  });
});

describe('transition-type registry snapshot', () => {
  it.each(named(V.transition_type_registry_snapshot, (x) => `version ${x.registry_version}`))('%s', (_n, c: any) => {
    const snapshot = transitionTypeRegistrySnapshot(c.registry_version, c.registry_mapping);
    expect(snapshot.tag).toBe(TRANSITION_TYPES_SNAPSHOT_TAG);
    expect(snapshot).toEqual(c.snapshot);
    expect(canonicalize(snapshot)).toBe(c.snapshot_canonical_utf8);
    expect(transitionTypeRegistrySnapshotDigest(snapshot)).toBe(c.snapshot_digest_sha256);
    expect(sha256(c.snapshot_canonical_utf8)).toBe(c.snapshot_digest_sha256);
    // A lock carrying the snapshot yields the same digest, and a lock stating another digest is refused.
    expect(transitionTypeRegistryLockDigest({ snapshot: c.snapshot, snapshot_digest_sha256: c.snapshot_digest_sha256 }).digest).toBe(c.snapshot_digest_sha256);
    expect(() => transitionTypeRegistryLockDigest({ snapshot: c.snapshot, snapshot_digest_sha256: '0'.repeat(64) })).toThrow(/mismatch/);
  });
});

describe('lawpack digest', () => {
  it.each(named(V.lawpack_digest, (x) => Object.keys(x.canonical_files_utf8).join(', ')))('%s', (_n, c: any) => {
    expect(lawpackDigest(c.canonical_files_utf8)).toBe(c.lawpack_digest_sha256);
    // Independent computation from the rule the vector states.
    const parts: Buffer[] = [Buffer.from('msez-lawpack-v1\0')];
    for (const p of Object.keys(c.canonical_files_utf8).sort()) parts.push(Buffer.from(`${p}\0${c.canonical_files_utf8[p]}\0`));
    expect(sha256(Buffer.concat(parts))).toBe(c.lawpack_digest_sha256);
  });
});

describe('phoenix equivocation evidence (JCS, with the legacy json.dumps digest beside it)', () => {
  it.each(named(V.phoenix_equivocation_evidence, (x) => x.evidence_data.attestation_2.watcher))('%s', (_n, c: any) => {
    expect(equivocationEvidenceDigest(c.evidence_data)).toBe(c.digest_current_jcs);
    // The legacy phoenix code hashed Python's json.dumps(data, sort_keys=True): spaces after ',' and ':'.
    expect(sha256(c.legacy_preimage)).toBe(c.digest_legacy_phoenix_json_dumps_sort_keys);
    expect(c.legacy_preimage).toBe(canonicalize(c.evidence_data).replace(/,"/g, ', "').replace(/":/g, '": '));
    expect(c.digest_current_jcs !== c.digest_legacy_phoenix_json_dumps_sort_keys).toBe(c.differ);

    // The detector produces exactly this evidence when a watcher attests a second digest at one height.
    const det = new EquivocationDetector();
    const a2 = c.evidence_data.attestation_2;
    expect(det.observe({ watcher_did: a2.watcher, corridor_id: 'c', height: a2.height, digest: c.evidence_data.attestation_1.digest, data: {} })).toBeNull();
    expect(det.observe({ watcher_did: a2.watcher, corridor_id: 'c', height: a2.height, digest: c.evidence_data.attestation_1.digest, data: {} })).toBeNull();
    const ev = det.observe({ watcher_did: a2.watcher, corridor_id: 'c', height: a2.height, digest: a2.root, data: a2 });
    expect(ev?.evidence_data).toEqual(c.evidence_data);
    expect(ev?.evidence_digest_sha256).toBe(c.digest_current_jcs);
  });
});

it('digests.json: every group is covered', () => {
  const groups = Object.keys(V).filter((k) => Array.isArray(V[k]) && k !== 'notes');
  expect(groups.sort()).toEqual(
    ['agreement_set_sha256', 'head_commitment', 'lawpack_digest', 'phoenix_equivocation_evidence', 'transition_payload_sha256', 'transition_type_registry_snapshot'].sort(),
  );
  expect(groups.reduce((n, g) => n + V[g].length, 0)).toBe(11);
});
