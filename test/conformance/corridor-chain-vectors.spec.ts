import { createHash } from 'node:crypto';
import Ajv2020 from 'ajv/dist/2020';
import {
  addProof,
  appendPeaks,
  bagPeaks,
  buildForkAlarmCredential,
  buildForkResolutionCredential,
  buildReceipt,
  buildWatcherAttestationCredential,
  canonicalize,
  chainExpectations,
  checkpointDigest,
  checkpointFromChain,
  compareWatcherAttestations,
  computeNextRoot,
  corridorAgreementSummary,
  corridorGenesis,
  definitionPayloadSha256,
  agreementPayloadSha256,
  agreementSetPreimage,
  digestOf,
  headCommitment,
  headCommitmentDigest,
  inspectForks,
  makeTransitionEnvelope,
  mmrRootFromNextRoots,
  ProtocolError,
  receiptInclusionProofFromChain,
  rulesetDescriptorDigest,
  signingInput,
  validateSchema,
  verifyCheckpointAgainstChain,
  verifyCorridorChain,
  verifyProofs,
  verifyReceiptInclusionProof,
  type ChainVerification,
  type JsonObject,
  type ReceiptSource,
} from '@corridor/protocol';
import { chainVectors as V, corridorModule, fileText, receiptFile, signedReceipts, watcherKeys, zoneKeys } from '../support/corridor-fixture';

/**
 * Every case of corridor-chain.json. Expected values come from the vector file (produced by the reference); where we
 * deliberately differ from the reference, the test shows the reference's value next to ours.
 */
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const corridor = corridorModule();
const expected = chainExpectations(corridor);
const nextRoots: string[] = V.chain_verification.result.receipts_next_roots;
const allFiles = (): ReceiptSource[] => signedReceipts.map((_r, i) => receiptFile(`r${String(i).padStart(2, '0')}.json`));
const zoneVm = { a: 'did:key:z6MkpcPvSoHcaxHrowuHYv6NKhBVpvUsptJUUrQenEQ1aYJX#key-1', b: 'did:key:z6MkrcX3jnavDvJcR4Kcr6i8G1D4LzZ3X2XZdo3dc91QZbvo#key-1' };

/** The fields the vector reports of a chain result (it lists next_roots instead of whole receipts). */
function resultView(v: ChainVerification) {
  const r = v.result!;
  return {
    corridor_id: r.corridor_id,
    genesis_root: r.genesis_root,
    receipt_count: r.receipt_count,
    final_state_root: r.final_state_root,
    mmr: r.mmr,
    transition_type_registry_digest_sha256: r.transition_type_registry_digest_sha256,
    receipts_next_roots: r.receipts.map((x) => x.next_root),
  };
}

describe('genesis', () => {
  const g = V.genesis;

  it('ruleset descriptor digests', () => {
    for (const d of Object.values<any>(V.corridor.ruleset_descriptors)) expect(rulesetDescriptorDigest(d.content)).toBe(d.jcs_sha256);
  });

  it('definition_payload_sha256', () => {
    expect(definitionPayloadSha256(corridor.definitionVc)).toBe(g.definition_payload_sha256);
  });

  it('agreement payload digests by path', () => {
    for (const [path, digest] of Object.entries(g.agreement.agreement_payload_sha256_by_path)) {
      expect(agreementPayloadSha256(corridor.agreementVcs[path])).toBe(digest);
    }
  });

  it('agreement_set_sha256: the reference ASCII json.dumps preimage', () => {
    const preimage = agreementSetPreimage({
      corridor_id: corridor.manifest.corridor_id,
      definition_payload_sha256: g.definition_payload_sha256,
      agreement_payload_sha256: Object.values(g.agreement.agreement_payload_sha256_by_path),
    });
    expect(preimage).toBe(g.agreement.agreement_set_preimage_utf8);
    expect(sha256(preimage)).toBe(g.agreement.agreement_set_sha256);
  });

  it('agreement summary: activation, thresholds, receipt-signing thresholds', () => {
    const { errors, summary } = corridorAgreementSummary(corridor);
    expect(errors).toEqual(g.agreement.errors);
    expect(summary.activated).toBe(g.agreement.activated);
    expect(summary.thresholds).toEqual(g.agreement.thresholds);
    expect(summary.receipt_signing_thresholds).toEqual(g.agreement.receipt_signing_thresholds);
    expect(summary.agreement_set_sha256).toBe(g.agreement.agreement_set_sha256);
    expect(summary.agreement_pattern).toBe('party-specific');
    // Checkpoint thresholds default to the receipt thresholds when the agreement states none.
    expect(summary.checkpoint_signing_thresholds).toEqual(g.agreement.receipt_signing_thresholds);
  });

  it('genesis payload, preimage and root', () => {
    const gen = corridorGenesis(corridor);
    expect(gen.payload).toEqual(g.genesis_payload);
    expect(canonicalize(gen.payload)).toBe(g.genesis_preimage_canonical_utf8);
    expect(gen.genesis_root).toBe(g.genesis_root);
    expect(sha256(g.genesis_preimage_canonical_utf8)).toBe(g.genesis_root);
  });
});

describe('receipts', () => {
  it.each<[number, any]>(V.receipts.map((r: any): [number, any] => [r.sequence, r]))('receipt %i: envelope, next_root, signing input, proofs, file bytes, MMR after', (_seq, r: any) => {
    const signed = r.signed_receipt;
    const draft = buildReceipt({
      corridor_id: expected.corridor_id,
      sequence: r.sequence,
      timestamp: signed.timestamp,
      prev_root: r.prev_root,
      lawpack_digest_set: expected.lawpack_digest_set,
      ruleset_digest_set: expected.ruleset_digest_set,
      transition: makeTransitionEnvelope(r.transition_input ?? undefined),
    });
    const { next_root, ...payload } = draft;
    expect(payload).toEqual(r.receipt_payload_without_proof_and_next_root);
    expect(canonicalize(payload)).toBe(r.next_root_preimage_canonical_utf8);
    expect(next_root).toBe(r.next_root);
    expect(computeNextRoot(signed)).toBe(r.next_root);
    expect(signingInput(draft).toString('utf8')).toBe(r.signing_input_canonical_utf8);
    expect(sha256(signingInput(draft))).toBe(r.signing_input_sha256);

    const proofs = signed.proof as any[];
    let doc: JsonObject = draft;
    doc = addProof(doc, zoneKeys.a, { created: proofs[0].created, verificationMethod: zoneVm.a });
    doc = addProof(doc, zoneKeys.b, { created: proofs[1].created, verificationMethod: zoneVm.b });
    expect(doc).toEqual(signed);
    expect(verifyProofs(signed).map((p) => ({ verificationMethod: p.verificationMethod, ok: p.ok }))).toEqual(r.proof_verification);
    expect(sha256(fileText(signed))).toBe(r.file_bytes_sha256);
    expect(mmrRootFromNextRoots(nextRoots.slice(0, r.sequence + 1))).toEqual(r.mmr_after);
  });
});

describe('chain verification', () => {
  it('verifies the 10-receipt chain to the reference result', () => {
    const v = verifyCorridorChain(expected, allFiles());
    expect(v.errors).toEqual(V.chain_verification.errors);
    expect(v.warnings).toEqual(V.chain_verification.warnings);
    expect(v.valid).toBe(true);
    expect(resultView(v)).toEqual(V.chain_verification.result);
    expect(v.result!.receipts).toEqual(signedReceipts);
    expect(v.forks).toEqual([]);
  });

  it('with the canonical-bytes check (the files are canonical JSON + LF)', () => {
    const v = verifyCorridorChain(expected, allFiles(), { checkCanonicalBytes: true });
    expect(V.verify_check_canonical_bytes_rc).toBe(0);
    expect(v.valid).toBe(true);
  });
});

describe('checkpoints', () => {
  const full = verifyCorridorChain(expected, allFiles()).result!;
  it.each(Object.entries(V.checkpoints))('%s: payload, digest, head commitment, co-signed proofs', (_name, c: any) => {
    const chain = verifyCorridorChain(expected, allFiles().slice(0, c.receipt_count)).result!;
    const unsigned = checkpointFromChain(chain, c.checkpoint.timestamp);
    expect(canonicalize(unsigned)).toBe(c.payload_canonical_utf8);
    expect(checkpointDigest(unsigned)).toBe(c.checkpoint_payload_digest_sha256);
    expect(sha256(c.payload_canonical_utf8)).toBe(c.checkpoint_payload_digest_sha256);

    const head = {
      corridor_id: chain.corridor_id,
      genesis_root: chain.genesis_root,
      receipt_count: chain.receipt_count,
      final_state_root: chain.final_state_root,
      mmr_root: chain.mmr.root,
    };
    expect(canonicalize(headCommitment(head))).toBe(c.head_commitment_preimage_utf8);
    expect(headCommitmentDigest(head)).toBe(c.head_commitment_digest_sha256);

    const created = c.checkpoint.proof[0].created;
    let signed = addProof(unsigned, zoneKeys.a, { created, verificationMethod: zoneVm.a });
    signed = addProof(signed, zoneKeys.b, { created, verificationMethod: zoneVm.b });
    expect(signed).toEqual(c.checkpoint);
    expect(checkpointDigest(signed)).toBe(c.checkpoint_payload_digest_sha256);
    expect(verifyProofs(c.checkpoint).map((p) => ({ verificationMethod: p.verificationMethod, ok: p.ok }))).toEqual(c.proof_verification);
    expect(validateSchema('corridor.checkpoint', c.checkpoint).ok).toBe(true);
    expect(verifyCheckpointAgainstChain({ value: c.checkpoint }, chain).valid).toBe(true);
    // A checkpoint of another head does not verify against the full chain (unless it is that head).
    expect(verifyCheckpointAgainstChain({ value: c.checkpoint }, full).valid).toBe(c.receipt_count === full.receipt_count);
  });

  it('verify with checkpoint (the head checkpoint matches the verified chain)', () => {
    const v = verifyCorridorChain(expected, allFiles());
    const cv = verifyCheckpointAgainstChain({ path: V.checkpoints.full.path, text: fileText(V.checkpoints.full.checkpoint) }, v.result!, {
      checkCanonicalBytes: true,
      signingThresholds: expected.checkpoint_signing_thresholds,
      roleByDid: expected.role_by_did,
    });
    expect(V.verify_with_checkpoint.rc).toBe(0);
    expect(cv).toEqual({ valid: true, signers: ['did:key:z6MkpcPvSoHcaxHrowuHYv6NKhBVpvUsptJUUrQenEQ1aYJX', 'did:key:z6MkrcX3jnavDvJcR4Kcr6i8G1D4LzZ3X2XZdo3dc91QZbvo'], errors: [] });
    const out = V.verify_with_checkpoint.output;
    expect({ ...resultView(v), checkpoint_verified: cv.valid }).toEqual({ ...out, receipts: undefined, receipts_next_roots: nextRoots, checkpoint_verified: true } as any);
  });

  it('a checkpoint of a different head is refused with named checks', () => {
    const v = verifyCorridorChain(expected, allFiles());
    const cv = verifyCheckpointAgainstChain({ value: V.checkpoints.half.checkpoint }, v.result!);
    expect(cv.valid).toBe(false);
    expect(cv.errors.map((e) => e.check)).toEqual(['receipt-count', 'final-state-root', 'mmr-root', 'mmr-size']);
  });
});

describe('incremental from checkpoint', () => {
  const inc = V.incremental_from_checkpoint;
  const half = V.checkpoints.half;
  const tail = allFiles().slice(half.receipt_count);

  it('tail only: our head MMR is the correct full root (the reference appends raw next_roots)', () => {
    const v = verifyCorridorChain(expected, tail, { fromCheckpoint: { path: half.path, text: fileText(half.checkpoint) } });
    expect(v.valid).toBe(true);
    expect(v.result!.receipt_count).toBe(inc.tail_only.result.receipt_count);
    expect(v.result!.final_state_root).toBe(inc.tail_only.result.final_state_root);
    expect(v.result!.receipts.map((r) => r.next_root)).toEqual(inc.tail_only.result.receipts_next_roots);
    // Ours: leaf-hashed tail on the checkpoint's peaks = the root over all ten receipts.
    expect(v.result!.mmr.root).toBe(inc.correct_full_mmr_root);
    expect(v.result!.mmr).toEqual(V.chain_verification.result.mmr);
    // The reference's value, reproduced: raw next_roots appended as if they were leaf hashes.
    const referencePeaks = appendPeaks(half.checkpoint.mmr.peaks, inc.tail_only.result.receipts_next_roots);
    expect(bagPeaks(referencePeaks)).toBe(inc.tail_only.result.mmr.root);
    expect(referencePeaks).toEqual(inc.tail_only.result.mmr.peaks);
    expect(inc.tail_only_root_equals_correct).toBe(false);
    expect(v.result!.mmr.root).not.toBe(inc.tail_only.result.mmr.root);
  });

  it('all receipts present: the full MMR is recomputed (as in the reference)', () => {
    const v = verifyCorridorChain(expected, allFiles(), { fromCheckpoint: { value: half.checkpoint } });
    expect(v.valid).toBe(true);
    expect(v.warnings).toEqual(inc.all_receipts.warnings);
    expect(resultView(v)).toEqual(inc.all_receipts.result);
    expect(inc.all_receipts_root_equals_correct).toBe(true);
  });

  it('a bootstrap checkpoint whose peaks do not bag to its root is refused, even when validly signed', () => {
    const { proof: _proof, ...unsigned } = half.checkpoint;
    const wrongPeaks = half.checkpoint.mmr.peaks.map((p: any) => ({ ...p, hash: p.hash.split('').reverse().join('') }));
    const forged = addProof({ ...unsigned, mmr: { ...unsigned.mmr, peaks: wrongPeaks } }, zoneKeys.a, { created: '2025-01-02T00:30:00Z', verificationMethod: zoneVm.a });
    const v = verifyCorridorChain(expected, tail, { fromCheckpoint: { value: forged } });
    expect(v.valid).toBe(false);
    expect(v.errors.map((e) => e.check)).toEqual(['checkpoint-mmr']);
    // The reference would bag the forged peaks plus the tail into a head root the signers never committed to.
  });

  it('a bootstrap checkpoint with a broken signature is refused', () => {
    const forged = { ...half.checkpoint, final_state_root: nextRoots[3] };
    const v = verifyCorridorChain(expected, tail, { fromCheckpoint: { value: forged } });
    expect(v.errors.map((e) => e.check)).toEqual(['checkpoint-proof']);
  });
});

describe('inclusion proofs', () => {
  const chain = verifyCorridorChain(expected, allFiles()).result!;
  const checkpoint = V.checkpoints.full.checkpoint;

  it.each<[number, any]>(V.inclusion_proofs.map((p: any): [number, any] => [p.sequence, p]))('receipt %i: proof object, verification, tampered path, wrong receipt', (_seq, c: any) => {
    const proof = receiptInclusionProofFromChain(chain, c.sequence, c.proof.generated_at, { value: checkpoint, path: V.checkpoints.full.path });
    expect(proof).toEqual(c.proof);
    expect(validateSchema('corridor.inclusion-proof', proof).ok).toBe(true);

    const receipt = signedReceipts[c.sequence];
    expect(c.verify.rc).toBe(0);
    expect(verifyReceiptInclusionProof({ proof, receipt, checkpoint, corridor_id: expected.corridor_id, trust_anchors: expected.trust_anchors })).toEqual({ valid: true });

    // Tampered path: one sibling hash changed.
    const tampered = JSON.parse(JSON.stringify(proof));
    const h: string = tampered.path[0].hash;
    tampered.path[0].hash = (h[0] === '0' ? '1' : '0') + h.slice(1);
    expect(c.verify_tampered_path.rc).toBe(2);
    expect(c.verify_tampered_path.stderr).toMatch(/invalid inclusion proof/);
    const t = verifyReceiptInclusionProof({ proof: tampered, receipt, checkpoint });
    expect(t).toMatchObject({ valid: false, check: 'mmr-inclusion', mmr_failure: 'root_mismatch' });

    // The proof presented with another receipt.
    const other = signedReceipts[c.verify_against_other_receipt.receipt_sequence];
    expect(c.verify_against_other_receipt.rc).toBe(2);
    expect(c.verify_against_other_receipt.stderr).toMatch(/proof receipt_next_root does not match receipt/);
    expect(verifyReceiptInclusionProof({ proof, receipt: other, checkpoint })).toMatchObject({ valid: false, check: 'receipt-binding' });
  });
});

/** The reference's error messages start with the failing check; we compare decisions and checks, not wording. */
const CHECK_OF_REFERENCE_ERROR: [RegExp, string][] = [
  [/^invalid receipt schema/, 'schema'],
  [/^next_root mismatch/, 'next-root'],
  [/^ruleset_digest_set mismatch/, 'ruleset-digest-set'],
  [/^lawpack_digest_set mismatch/, 'lawpack-digest-set'],
  [/^receipt signature verification failed/, 'proof'],
  [/^receipt set does not include an initial receipt/, 'missing-genesis-receipt'],
  [/^non-canonical receipt bytes/, 'canonical-bytes'],
];
const checkOf = (message: string) => CHECK_OF_REFERENCE_ERROR.find(([re]) => re.test(message))?.[1];

describe('negative chain cases', () => {
  const sourcesOf = (c: any): ReceiptSource[] =>
    c.receipt_files.map((name: string) => (c.mutated_files[name] !== undefined ? { path: name, text: c.mutated_files[name] } : receiptFile(name)));
  const options = (c: any) => ({ checkCanonicalBytes: c.case === 'non-canonical-bytes' });

  it.each<[string, any]>(V.negative_chain_cases.filter((c: any) => c.case !== 'integer-payload-schema-quirk').map((c: any): [string, any] => [c.case, c]))(
    '%s: same decision and same failing check as the reference',
    (_name, c: any) => {
      const v = verifyCorridorChain(expected, sourcesOf(c), options(c));
      if (c.errors.length > 0) {
        expect(v.valid).toBe(false);
        expect(c.result).toEqual({});
        expect(v.result).toBeNull();
        expect(v.errors.map((e) => e.check)).toEqual(c.errors.map(checkOf));
      } else {
        expect(v.valid).toBe(true);
        expect(resultView(v)).toEqual(c.result);
        expect(v.warnings.map((w) => w.code)).toEqual(c.warnings.map(() => 'unreachable-beyond-head'));
        expect(v.warnings.map((w) => w.message)).toEqual(c.warnings);
      }
    },
  );

  it('integer-payload-schema-quirk: the reference rejects an integer payload, we accept it', () => {
    const c = V.negative_chain_cases.find((x: any) => x.case === 'integer-payload-schema-quirk');
    const receipt = JSON.parse(c.mutated_files['x-r00-integer-payload.json']);
    expect(receipt.transition.payload).toBe(12345);

    // The reference: schema error, no result. Its envelope schema lists both "number" and "integer" under oneOf, and
    // an integer matches both branches, which oneOf forbids.
    expect(c.result).toEqual({});
    expect(checkOf(c.errors[0])).toBe('schema');
    expect(c.errors[0]).toMatch(/12345 is valid under each of/);
    const referencePayloadRule = new Ajv2020().compile({ oneOf: [{ type: 'number' }, { type: 'integer' }] });
    expect(referencePayloadRule(12345)).toBe(false);

    // Ours: any JSON value is a payload; the signed receipt is valid and becomes the chain's sequence 0.
    expect(validateSchema('transition-envelope', receipt.transition).ok).toBe(true);
    const v = verifyCorridorChain(expected, sourcesOf(c));
    expect(v.valid).toBe(true);
    expect(v.result!.receipt_count).toBe(1);
    expect(v.result!.final_state_root).toBe(receipt.next_root);
    // r01–r03 follow the original receipt 0, so they are reported as unreachable, not as errors.
    expect(v.warnings.map((w) => w.code)).toEqual(['orphans-at-head', 'unreachable-beyond-head']);
  });
});

describe('forks', () => {
  const f = V.fork;
  const forkFile = (name: string): ReceiptSource => {
    const doc =
      name === 'r03a.json' ? f.setup.branch_a_receipt : name === 'r03b.json' ? f.setup.branch_b_receipt : name === 'r04a.json' ? f.setup.branch_a_child_receipt : null;
    return { path: `state/receipts-fork/${name}`, text: doc ? fileText(doc) : receiptFile(name).text };
  };
  const forkSources = () => f.setup.receipt_files.map(forkFile);
  const resolutionVc = f.fork_resolution_vc.vc;
  const resolutionSource = { path: 'state/fork-resolutions/fork-resolution.json', text: fileText(resolutionVc) };

  it('detection without a resolution: rejected at the fork', () => {
    const v = verifyCorridorChain(expected, forkSources());
    expect(v.valid).toBe(false);
    expect(f.detect_without_resolution.result).toEqual({});
    expect(v.errors.map((e) => e.check)).toEqual(['fork']);
    const reference = /^fork detected at sequence (\d+) prev_root=([0-9a-f]{64}) \(candidates=(\d+)\)/.exec(f.detect_without_resolution.errors[0])!;
    expect(v.errors[0].message.startsWith(reference[0])).toBe(true);
    expect(v.forks).toEqual([{ sequence: 3, prev_root: f.setup.fork_prev_root, candidates: [f.setup.branch_a_receipt.next_root, f.setup.branch_b_receipt.next_root], resolved: false }]);
  });

  it('fork-inspect, unresolved', () => {
    const report = inspectForks(expected, forkSources());
    const { warnings, ...rest } = report;
    const { warnings: refWarnings, ...refRest } = f.fork_inspect_unresolved.report;
    expect(rest).toEqual(refRest);
    expect(warnings).toHaveLength(refWarnings.length);
    expect(warnings[0].startsWith(/^[^.]*\(candidates=2\)/.exec(refWarnings[0])![0])).toBe(true);
  });

  it('fork-resolution credential: built, co-signed, verified', () => {
    const subject = resolutionVc.credentialSubject;
    const vc = buildForkResolutionCredential({
      id: resolutionVc.id,
      corridor_id: subject.corridor_id,
      sequence: subject.sequence,
      prev_root: subject.prev_root,
      chosen_next_root: subject.chosen_next_root,
      candidates: subject.candidates.map((c: any) => c.next_root),
      issuer: resolutionVc.issuer,
      issuanceDate: resolutionVc.issuanceDate,
      resolved_at: subject.resolved_at,
    });
    expect(sha256(signingInput(vc))).toBe(f.fork_resolution_vc.signing_input_sha256);
    let signed = addProof(vc, zoneKeys.a, { created: resolutionVc.proof[0].created, verificationMethod: zoneVm.a });
    signed = addProof(signed, zoneKeys.b, { created: resolutionVc.proof[1].created, verificationMethod: zoneVm.b });
    expect(signed).toEqual(resolutionVc);
    expect(verifyProofs(resolutionVc).map((r) => r.ok)).toEqual(f.fork_resolution_vc.proof_verification);
    expect(validateSchema('vc.corridor-fork-resolution', resolutionVc).ok).toBe(true);
  });

  it('resolved chain', () => {
    const v = verifyCorridorChain(expected, forkSources(), { forkResolutions: [resolutionSource] });
    expect(v.valid).toBe(true);
    expect(resultView(v)).toEqual(f.resolved_chain.result);
    expect(v.warnings.map((w) => w.message)).toEqual(f.resolved_chain.warnings);
    expect(v.warnings.map((w) => w.code)).toEqual(['fork-resolved']);
    expect(v.forks).toEqual([
      {
        sequence: 3,
        prev_root: f.setup.fork_prev_root,
        candidates: [f.setup.branch_a_receipt.next_root, f.setup.branch_b_receipt.next_root],
        chosen_next_root: f.setup.branch_a_receipt.next_root,
        resolved: true,
      },
    ]);
  });

  it('fork-inspect, resolved', () => {
    expect(inspectForks(expected, forkSources(), { forkResolutions: [resolutionSource] })).toEqual(f.fork_inspect_resolved.report);
  });

  it('a resolution naming an unknown candidate is rejected', () => {
    const unknown = 'ab'.repeat(32);
    const raw = { type: 'MSEZCorridorForkResolution', corridor_id: expected.corridor_id, sequence: 3, prev_root: f.setup.fork_prev_root, chosen_next_root: unknown, resolved_at: '2025-01-03T00:00:00Z' };
    const v = verifyCorridorChain(expected, forkSources(), { forkResolutions: [{ path: 'unknown.json', value: raw }] });
    expect(v.valid).toBe(false);
    expect(f.resolution_selects_unknown_candidate.result).toEqual({});
    expect(v.errors.map((e) => e.check)).toEqual(['fork-resolution-unknown-candidate']);
    expect(v.errors[0].message).toBe(f.resolution_selects_unknown_candidate.errors[0]);
  });

  it('a resolution credential with a forged proof is refused (the reference would not check it)', () => {
    const forged = JSON.parse(JSON.stringify(resolutionVc));
    forged.credentialSubject.chosen_next_root = f.setup.branch_b_receipt.next_root;
    const v = verifyCorridorChain(expected, forkSources(), { forkResolutions: [{ path: 'forged.json', value: forged }] });
    expect(v.valid).toBe(false);
    expect(v.errors[0].check).toBe('fork-resolution');
  });

  it('fork alarm credential: ArtifactRefs over the raw receipt files, signed by a watcher', () => {
    const alarm = f.fork_alarm_vc;
    const bytesA = Buffer.from(fileText(f.setup.branch_a_receipt), 'utf8');
    const bytesB = Buffer.from(fileText(f.setup.branch_b_receipt), 'utf8');
    expect(sha256(bytesA)).toBe(alarm.receipt_a_file_sha256);
    expect(sha256(bytesB)).toBe(alarm.receipt_b_file_sha256);
    const vc = buildForkAlarmCredential({
      corridor_id: expected.corridor_id,
      receipt_a: { bytes: bytesA, uri: alarm.vc.credentialSubject.receipt_a.uri },
      receipt_b: { bytes: bytesB, uri: alarm.vc.credentialSubject.receipt_b.uri },
      issuer: alarm.vc.issuer,
      id: alarm.vc.id,
      issuanceDate: alarm.vc.issuanceDate,
      detected_at: alarm.vc.credentialSubject.detected_at,
    });
    expect(sha256(signingInput(vc))).toBe(alarm.signing_input_sha256);
    const signed = addProof(vc, watcherKeys.dev, { created: alarm.vc.proof.created });
    expect(signed).toEqual(alarm.vc);
    expect(verifyProofs(alarm.vc).map((r) => r.ok)).toEqual(alarm.proof_verification);
    expect(validateSchema('vc.corridor-fork-alarm', alarm.vc).ok).toBe(true);
  });

  it('fork alarm over the same receipt twice is refused', () => {
    const bytes = Buffer.from(fileText(f.setup.branch_a_receipt), 'utf8');
    expect(f.fork_alarm_same_receipt_rejected.rc).toBe(2);
    let err: unknown;
    try {
      buildForkAlarmCredential({ corridor_id: expected.corridor_id, receipt_a: { bytes, uri: 'a' }, receipt_b: { bytes, uri: 'b' }, issuer: 'did:key:z' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('no-fork');
    expect(f.fork_alarm_same_receipt_rejected.stderr).toContain((err as ProtocolError).message);
  });

  describe('a fork at sequence 0', () => {
    // Two signed receipts at (0, genesis) with payloads {x:1} and {x:2} (the reference's test_fork_resolution.py).
    const forkAt0 = [1, 2].map((x) => {
      const draft = buildReceipt({
        corridor_id: expected.corridor_id,
        sequence: 0,
        timestamp: '2025-01-05T00:00:00Z',
        prev_root: expected.genesis_root,
        lawpack_digest_set: expected.lawpack_digest_set,
        ruleset_digest_set: expected.ruleset_digest_set,
        transition: makeTransitionEnvelope({ kind: 'test.fork', payload: { x } }),
      });
      return addProof(draft, zoneKeys.a, { created: '2025-01-05T00:00:30Z', verificationMethod: zoneVm.a });
    });
    const sources = forkAt0.map((r, i) => ({ path: `r0${'ab'[i]}.json`, text: fileText(r) }));

    it('is detected at sequence 0', () => {
      const v = verifyCorridorChain(expected, sources);
      expect(v.valid).toBe(false);
      expect(v.errors.map((e) => e.check)).toEqual(['fork']);
      expect(v.errors[0].message).toMatch(/^fork detected at sequence 0 /);
      expect(v.forks.map((p) => p.sequence)).toEqual([0]);
    });

    it('is resolved by a signed resolution credential', () => {
      const vc = buildForkResolutionCredential({
        corridor_id: expected.corridor_id,
        sequence: 0,
        prev_root: expected.genesis_root,
        chosen_next_root: forkAt0[0].next_root,
        issuer: zoneKeys.a.did,
        resolved_at: '2025-01-05T01:00:00Z',
        issuanceDate: '2025-01-05T01:00:00Z',
        id: 'urn:test:fork-resolution:0',
      });
      const signed = addProof(vc, zoneKeys.a, { created: '2025-01-05T01:00:00Z', verificationMethod: zoneVm.a });
      const v = verifyCorridorChain(expected, sources, { forkResolutions: [{ path: 'res.json', value: signed }] });
      expect(v.errors).toEqual([]);
      expect(v.result!.receipt_count).toBe(1);
      expect(v.result!.final_state_root).toBe(forkAt0[0].next_root);
      expect(v.warnings.map((w) => w.code)).toEqual(['fork-resolved']);
    });

    it('the fork alarm records sequence 0 (the reference records -1)', () => {
      const vc = buildForkAlarmCredential({
        corridor_id: expected.corridor_id,
        receipt_a: { bytes: Buffer.from(sources[0].text), uri: sources[0].path },
        receipt_b: { bytes: Buffer.from(sources[1].text), uri: sources[1].path },
        issuer: watcherKeys.dev.did,
        detected_at: '2025-01-05T02:00:00Z',
        issuanceDate: '2025-01-05T02:00:00Z',
        id: 'urn:test:fork-alarm:0',
      });
      const subject = vc.credentialSubject as JsonObject;
      expect(subject.sequence).toBe(0);
      // The reference reads the sequence as int(x or -1): 0 is falsy in Python, so it becomes -1.
      const referenceSequence = (x: number) => x || -1;
      expect(referenceSequence(forkAt0[0].sequence)).toBe(-1);
      // -1 would not even be a valid fork alarm: the schema requires sequence >= 0.
      const signed = addProof(vc, watcherKeys.dev, { created: '2025-01-05T02:00:00Z' });
      expect(validateSchema('vc.corridor-fork-alarm', signed).ok).toBe(true);
      expect(validateSchema('vc.corridor-fork-alarm', { ...signed, credentialSubject: { ...subject, sequence: -1 } }).ok).toBe(false);
    });
  });

  it('duplicate receipts merge: proofs unioned, not a fork', () => {
    const d = f.duplicate_receipts_merge;
    const base = signedReceipts[0];
    const proofs = base.proof as JsonObject[];
    const sources = d.receipt_files.map((name: string, i: number) => ({ path: name, text: fileText({ ...base, proof: proofs[i] }) }));
    const v = verifyCorridorChain(expected, sources);
    expect(v.errors).toEqual(d.errors);
    expect(v.warnings).toEqual(d.warnings);
    expect(v.result!.receipt_count).toBe(d.receipt_count);
    expect(v.result!.receipts[0]).toEqual(d.merged_receipt);
    expect(v.forks).toEqual([]);
  });
});

describe('watchers', () => {
  const w = V.watcher;
  const keyOf = (vc: any) => Object.values(watcherKeys).find((k) => k.did === vc.issuer)!;
  const checkpointOf = (uri: string) => Object.values<any>(V.checkpoints).find((c) => c.path === uri)?.checkpoint;

  it.each(Object.entries(w.attestations))('attestation %s', (_name, a: any) => {
    const vc = a.vc;
    const subject = vc.credentialSubject;
    expect(validateSchema('vc.corridor-watcher-attestation', vc).ok).toBe(true);
    expect(sha256(signingInput(vc))).toBe(a.signing_input_sha256);
    expect(verifyProofs(vc).every((r) => r.ok)).toBe(true);
    expect(
      headCommitmentDigest({
        corridor_id: subject.corridor_id,
        genesis_root: subject.genesis_root,
        receipt_count: subject.receipt_count,
        final_state_root: subject.final_state_root,
        mmr_root: subject.mmr_root,
      }),
    ).toBe(subject.head_commitment_digest_sha256);
    const checkpoint = checkpointOf(subject.checkpoint_digest_sha256.uri);
    if (!checkpoint) {
      // w2-conflict attests an unsigned conflicting checkpoint that the vector does not include: no finality claim.
      expect(subject.finality_level).toBeUndefined();
      return;
    }
    expect(checkpointDigest(checkpoint)).toBe(a.checkpoint_payload_digest_recomputed);
    const built = buildWatcherAttestationCredential({
      corridor_id: subject.corridor_id,
      checkpoint,
      checkpoint_uri: subject.checkpoint_digest_sha256.uri,
      issuer: vc.issuer,
      id: vc.id,
      issuanceDate: vc.issuanceDate,
      observed_at: subject.observed_at,
      no_fork_observed: subject.no_fork_observed,
    });
    expect(addProof(built, keyOf(vc), { created: vc.proof.created })).toEqual(vc);
  });

  it.each(Object.entries(w.compare))('compare: %s', (_name, c: any) => {
    const attestations = c.inputs.map((file: string) => {
      const path = c.report.attestations.find((e: any) => e.path.endsWith(`/${file}`)).path;
      return { path, text: JSON.stringify(w.attestations[file.replace(/\.vc\.json$/, '')].vc, null, 2) + '\n' };
    });
    const { exit_code, report } = compareWatcherAttestations({
      corridor_id: expected.corridor_id,
      attestations,
      now: new Date(c.now),
      fail_on_lag: c.fail_on_lag,
    });
    expect(report).toEqual(c.report);
    expect(exit_code).toBe(c.rc);
  });

  it('compare: a forged attestation is ignored with a warning', () => {
    const vc = JSON.parse(JSON.stringify(w.attestations['w0-full'].vc));
    vc.credentialSubject.receipt_count = 11;
    const { exit_code, report } = compareWatcherAttestations({ corridor_id: expected.corridor_id, attestations: [{ path: 'x.json', value: vc }], now: new Date('2025-01-02T02:30:00Z') });
    expect(exit_code).toBe(2);
    expect(report.summary.valid_attestations).toBe(0);
    expect(report.warnings).toEqual(['x.json: invalid VC signature(s)']);
  });
});

describe('the vectors cover what they claim', () => {
  it('10 receipts, 2 checkpoints, 3 inclusion proofs, 8 negative cases, 6 attestations, 5 compare scenarios', () => {
    expect(V.receipts).toHaveLength(10);
    expect(Object.keys(V.checkpoints)).toHaveLength(2);
    expect(V.inclusion_proofs).toHaveLength(3);
    expect(V.negative_chain_cases).toHaveLength(8);
    expect(Object.keys(V.watcher.attestations)).toHaveLength(6);
    expect(Object.keys(V.watcher.compare)).toHaveLength(5);
    expect(digestOf({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });
});
