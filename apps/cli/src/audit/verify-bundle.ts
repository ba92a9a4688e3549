import {
  appendPeaks,
  bagPeaks,
  baseDid,
  chainExpectations,
  corridorGenesis,
  isJsonObject,
  mmrLeafHash,
  proofList,
  validateSchema,
  verifiedSigners,
  verifyCheckpointAgainstChain,
  verifyCorridorChain,
  type KeyRotationRecord,
  type ChainExpectations,
  type ChainOptions,
  type ChainVerification,
  type CorridorChainResult,
  type JsonObject,
  type MmrPeak,
  type SchemaName,
} from '@corridor/protocol';
import { chainReport } from '../chain-report';
import { verifyAggregateChain, type AggregateChainReport, type ChainError } from './aggregate-chain';
import { BUNDLE_FORMAT, BUNDLE_VERSION, lifecycleRecord, manifestOf, moduleOfBundle, sameJson, trustAnchorsDocument, type Bundle } from './bundle';

export interface BundleVerifyOptions {
  enforceTrustAnchors?: boolean;
  enforceTransitionTypes?: boolean;
  enforceReceiptThreshold?: boolean;
  requireSignedForkResolutions?: boolean;
}

export interface BundleIntegrity {
  declaredSha256: string;
  computedSha256: string;
  canonical: boolean;
}

export interface BundleVerification {
  valid: boolean;
  report: JsonObject;
  /** The verified state channel (null when it does not verify). */
  result: CorridorChainResult | null;
  lifecycle: AggregateChainReport;
}

/**
 * Verifies an auditor bundle offline (spec/auditor-bundles.md §4): the state channel with the same verifier as
 * `chain verify --module --receipts` (genesis recomputed from the bundled module, every receipt, continuity,
 * next_root, MMR), every bundled checkpoint against the chain prefix it states, the lifecycle chain, and the
 * bundle's own consistency (integrity digest, the module is what the lifecycle recorded, every receipt is on the
 * chain, the head checkpoint is at the head and signed by the bundle's node).
 */
export async function verifyBundle(bundle: Bundle, options: BundleVerifyOptions, integrity?: BundleIntegrity): Promise<BundleVerification> {
  const bundleErrors: ChainError[] = [];
  const err = (check: string, message: string, path?: string) => bundleErrors.push(path === undefined ? { check, message } : { check, message, path });

  if (integrity) {
    if (integrity.declaredSha256 !== integrity.computedSha256) {
      err('bundle-digest', `bundle_sha256 is ${integrity.declaredSha256} but the canonical bytes of "bundle" digest to ${integrity.computedSha256}: the bundle was changed after it was exported`, '#/bundle_sha256');
    }
    if (!integrity.canonical) err('bundle-canonical-bytes', 'the bundle file is not canonical JSON (a bundle is written as canonical JSON, optionally + LF)');
  }

  // The lifecycle chain, and what it recorded about the corridor's package.
  const nodeDid = bundle.node.did;
  const lifecycle = verifyAggregateChain('corridor_lifecycle', bundle.corridor_id, bundle.lifecycle.receipts, {
    basePath: '#/lifecycle/receipts',
    checkpoint: bundle.lifecycle.checkpoint,
    checkpointPath: '#/lifecycle/checkpoint',
    nodeDid,
  });
  if (bundle.lifecycle.checkpoint === null && bundle.lifecycle.receipts.length > 0) err('bundle-lifecycle', 'the lifecycle chain has no checkpoint', '#/lifecycle/checkpoint');
  const rec = lifecycleRecord(bundle.lifecycle.receipts);
  if (bundle.manifest.corridor_id !== bundle.corridor_id) err('bundle-manifest', `manifest corridor_id ${JSON.stringify(bundle.manifest.corridor_id)} is not the bundle's ${bundle.corridor_id}`, '#/manifest/corridor_id');
  else {
    const sc = bundle.manifest.state_channel as JsonObject;
    const expectedManifest = manifestOf(bundle.corridor_id, bundle.agreement_vcs.length, { verification: String(bundle.manifest.verification_ruleset), transition: String(sc.transition_ruleset) });
    if (!sameJson(expectedManifest, bundle.manifest)) err('bundle-manifest', 'manifest is not the module manifest of a bundle (file names corridor.vc.json, corridor.agreement.<i>.vc.json, trust-anchors.yaml)', '#/manifest');
  }
  if (rec.trustAnchors === null) err('bundle-trust-anchors', 'the lifecycle chain records no corridor creation (corridor.created.v1)', '#/lifecycle/receipts');
  else if (!sameJson(trustAnchorsDocument(rec.trustAnchors), bundle.trust_anchors)) err('bundle-trust-anchors', 'trust_anchors are not the trust anchors the corridor was created with (corridor.created.v1)', '#/trust_anchors');
  if (rec.definition === null) err('bundle-definition', 'the lifecycle chain records no submitted MSEZCorridorDefinitionCredential', '#/lifecycle/receipts');
  else if (!sameJson(rec.definition, bundle.definition_vc)) err('bundle-definition', 'definition_vc is not the definition credential submitted in the lifecycle chain', '#/definition_vc');
  if (rec.agreements === null) err('bundle-agreements', 'the lifecycle chain records no activation (corridor.activated.v1)', '#/lifecycle/receipts');
  else if (!sameJson(rec.agreements, bundle.agreement_vcs)) err('bundle-agreements', 'agreement_vcs are not the agreement credentials the corridor was activated with', '#/agreement_vcs');
  checkForkCredentials(bundle.fork_alarms, rec.forkAlarms, 'fork_alarms', 'vc.corridor-fork-alarm', bundle.corridor_id, err);
  checkForkCredentials(bundle.fork_resolutions, rec.forkResolutions, 'fork_resolutions', 'vc.corridor-fork-resolution', bundle.corridor_id, err);
  if (baseDid(bundle.node.verification_method) !== nodeDid) err('bundle-node', `node.verification_method ${bundle.node.verification_method} is not a key of node.did ${nodeDid}`, '#/node/verification_method');

  // The state channel, with the verifier of `chain verify --module --receipts`.
  let expected: ChainExpectations | null = null;
  try {
    expected = chainExpectations(moduleOfBundle(bundle));
    if (rec.agreementSetSha256 !== null) {
      const g = corridorGenesis(moduleOfBundle(bundle));
      if (g.agreement_set_sha256 !== rec.agreementSetSha256) err('bundle-agreements', `the bundled agreements digest to agreement_set_sha256 ${g.agreement_set_sha256}, the activation recorded ${rec.agreementSetSha256}`, '#/agreement_vcs');
    }
  } catch (e) {
    err('bundle-module', `the bundled corridor module does not give a genesis: ${(e as Error).message}`, '#/manifest');
  }
  const chainOptions: ChainOptions = {
    checkCanonicalBytes: false,
    enforceTrustAnchors: options.enforceTrustAnchors === true,
    enforceTransitionTypes: options.enforceTransitionTypes === true,
    enforceReceiptThreshold: options.enforceReceiptThreshold === true,
    requireSignedForkResolutions: options.requireSignedForkResolutions === true,
    forkResolutions: bundle.fork_resolutions.map((value, i) => ({ path: `#/fork_resolutions/${i}`, value })),
    keyRotations: rec.keyRotations,
  };
  let verification: ChainVerification;
  let base: JsonObject;
  if (expected === null) {
    verification = { valid: false, result: null, forks: [], warnings: [], errors: [] };
    base = { valid: false, corridor_id: bundle.corridor_id, genesis_root: null, receipt_count: null, final_state_root: null, mmr: null, transition_type_registry_digest_sha256: null, forks: [], warnings: [], errors: [] };
  } else {
    if (bundle.receipts.length === 0) {
      verification = {
        valid: true,
        result: { corridor_id: expected.corridor_id, genesis_root: expected.genesis_root, receipts: [], receipt_count: 0, final_state_root: expected.genesis_root, mmr: { type: 'sha256-mmr', algorithm: 'sha256', size: 0, root: '', peaks: [] }, transition_type_registry_digest_sha256: expected.transition_type_registry_digest_sha256 },
        forks: [],
        warnings: [],
        errors: [],
      };
    } else {
      // On this thread: the receipts are already parsed in memory, and cloning them into worker threads costs
      // more memory than it saves time (measured: spec/auditor-bundles.md §4).
      const sources = bundle.receipts.map((value, i) => ({ path: `#/receipts/${i}`, value }));
      verification = verifyCorridorChain(expected, sources, chainOptions);
    }
    base = chainReport(expected, verification);
  }
  const result = verification.result;

  // Every bundled receipt is on the chain, in sequence order.
  const misplaced = bundle.receipts.findIndex((r, i) => r.sequence !== i);
  if (misplaced >= 0) {
    err('bundle-receipts', `receipts/${misplaced} has sequence ${JSON.stringify(String(bundle.receipts[misplaced]!.sequence))}: a bundle lists the state channel from sequence 0 in order, without gaps (a receipt is missing or out of place)`, `#/receipts/${misplaced}`);
  }
  if (result && result.receipt_count !== bundle.receipts.length) {
    err('bundle-receipts', `the chain from genesis stops after ${result.receipt_count} receipts but the bundle holds ${bundle.receipts.length}: receipt ${result.receipt_count} is missing or does not continue the chain`, `#/receipts/${result.receipt_count}`);
  }

  // Checkpoints: each one states a prefix of the chain; the last one is at the head, signed by the node.
  const checkpointReports = checkCheckpoints(bundle, result, expected, options, err);
  // The head checkpoint (the last one) against the whole chain, as `chain verify --checkpoint` checks one.
  const headCk = bundle.checkpoints[bundle.checkpoints.length - 1];
  const head = headCk === undefined ? null : checkOne(headCk, `#/checkpoints/${bundle.checkpoints.length - 1}`, result, bundle, expected, options);
  if (bundle.receipts.length > 0 && (head === null || head.receipt_count !== bundle.receipts.length)) {
    err('bundle-checkpoints', `no checkpoint states the head (${bundle.receipts.length} receipts): the last checkpoint must be the head's`, '#/checkpoints');
  }
  if (bundle.receipts.length === 0 && checkpointReports.length > 0) err('bundle-checkpoints', 'an empty state channel has no checkpoint', '#/checkpoints');
  if (headCk && !proofList(headCk).some((p) => isJsonObject(p) && p.verificationMethod === bundle.node.verification_method)) {
    err('bundle-node', `the head checkpoint carries no proof by node.verification_method ${bundle.node.verification_method}`, `#/checkpoints/${bundle.checkpoints.length - 1}`);
  }

  const valid = verification.valid && lifecycle.valid && bundleErrors.length === 0 && checkpointReports.every((c) => c.valid) && (head === null || head.valid);
  const report: JsonObject = {
    ...base,
    valid,
    checkpoint: head === null ? null : { valid: head.valid, signers: head.signers, errors: head.errors },
    checkpoints: checkpointReports.map((c) => ({ receipt_count: c.receipt_count, valid: c.valid, signers: c.signers, errors: c.errors })),
    lifecycle: {
      valid: lifecycle.valid,
      stream: lifecycle.stream,
      receipt_count: lifecycle.receipt_count,
      genesis_root: lifecycle.genesis_root,
      final_state_root: lifecycle.final_state_root,
      mmr: { size: lifecycle.mmr.size, root: lifecycle.mmr.root },
      checkpoint: lifecycle.checkpoint as unknown as JsonObject,
      errors: lifecycle.errors as unknown as JsonObject[],
    },
    bundle: {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      exported_at: bundle.exported_at,
      node: { ...bundle.node },
      bundle_sha256: integrity ? integrity.declaredSha256 : null,
      errors: bundleErrors as unknown as JsonObject[],
    },
  };
  return { valid, report, result, lifecycle };
}

interface CheckpointOutcome {
  receipt_count: number | null;
  valid: boolean;
  signers: string[];
  errors: { check: string; message: string; path?: string }[];
}

function checkCheckpoints(
  bundle: Bundle,
  result: CorridorChainResult | null,
  expected: ChainExpectations | null,
  options: BundleVerifyOptions,
  err: (check: string, message: string, path?: string) => void,
): CheckpointOutcome[] {
  const out: CheckpointOutcome[] = [];
  const counts = bundle.checkpoints.map((ck) => (typeof ck.receipt_count === 'number' && Number.isSafeInteger(ck.receipt_count) ? ck.receipt_count : null));
  // The chain's MMR at every height a checkpoint states, folding the leaves once.
  const prefixes = new Map<number, { final_state_root: string; mmr: { size: number; root: string; peaks: MmrPeak[] } }>();
  if (result) {
    const wanted = new Set(counts.filter((c): c is number => c !== null && c >= 1 && c <= result.receipt_count));
    let peaks: MmrPeak[] = [];
    result.receipts.forEach((r, i) => {
      if (wanted.size === 0) return;
      peaks = appendPeaks(peaks, [mmrLeafHash(String(r.next_root))]);
      if (wanted.has(i + 1)) prefixes.set(i + 1, { final_state_root: String(r.next_root), mmr: { size: i + 1, root: bagPeaks(peaks), peaks } });
    });
  }
  let previous = 0;
  bundle.checkpoints.forEach((ck, i) => {
    const path = `#/checkpoints/${i}`;
    const count = counts[i] ?? null;
    if (count === null || count <= previous) {
      err('bundle-checkpoints', `checkpoints must state increasing receipt counts; checkpoints/${i} states ${JSON.stringify(String(ck.receipt_count))} after ${previous}`, path);
    } else previous = count;
    const prefix = count === null || !result ? undefined : prefixes.get(count);
    const against: CorridorChainResult | null =
      result && prefix ? { ...result, receipts: result.receipts.slice(0, count!), receipt_count: count!, final_state_root: prefix.final_state_root, mmr: { type: 'sha256-mmr', algorithm: 'sha256', ...prefix.mmr } } : result;
    out.push(checkOne(ck, path, against, bundle, expected, options));
  });
  return out;
}

/** The participants' roles as the keys valid at `sequence` hold them: a rotated-in key holds the role of the key it replaced. */
function rolesAtSequence(roleByDid: Record<string, string>, rotations: readonly KeyRotationRecord[], sequence: number): Record<string, string> {
  const out = { ...roleByDid };
  for (const r of rotations) {
    if (sequence < r.effective_from_sequence || out[r.previous_key] === undefined) continue;
    out[r.new_key] = out[r.previous_key]!;
    delete out[r.previous_key];
  }
  return out;
}

/** One checkpoint against a chain (or chain prefix): the verifier's checks, and signed by the bundle's node. */
function checkOne(ck: JsonObject, path: string, against: CorridorChainResult | null, bundle: Bundle, expected: ChainExpectations | null, options: BundleVerifyOptions): CheckpointOutcome {
  const count = typeof ck.receipt_count === 'number' && Number.isSafeInteger(ck.receipt_count) ? ck.receipt_count : null;
  if (!against) return { receipt_count: count, valid: false, signers: [], errors: [{ check: 'chain', message: `the state channel does not verify, so ${path} cannot be checked against it`, path }] };
  const cv = verifyCheckpointAgainstChain({ path, value: ck }, against, {
    signingThresholds: options.enforceReceiptThreshold && expected ? expected.checkpoint_signing_thresholds : undefined,
    roleByDid: rolesAtSequence(expected?.role_by_did ?? {}, lifecycleRecord(bundle.lifecycle.receipts).keyRotations, (count ?? 1) - 1),
  });
  const errors: CheckpointOutcome['errors'] = cv.errors.map((e) => ({ check: e.check, message: `${e.message}: ${path}`, path }));
  if (cv.signers.length > 0 && !cv.signers.includes(baseDid(bundle.node.did))) {
    errors.push({ check: 'signer', message: `checkpoint is not signed by the node ${bundle.node.did}: ${path}`, path });
  }
  return { receipt_count: count, valid: cv.valid && errors.length === 0, signers: cv.signers, errors };
}

/** The bundled fork credentials are exactly the lifecycle's evidence, and each one is a signed, well-formed credential. */
function checkForkCredentials(
  bundled: JsonObject[],
  recorded: JsonObject[],
  field: string,
  schema: SchemaName,
  corridorId: string,
  err: (check: string, message: string, path?: string) => void,
): void {
  if (!sameJson(bundled, recorded)) err(`bundle-${field.replace('_', '-')}`, `${field} are not the ${recorded.length} credential(s) recorded as evidence in the lifecycle chain`, `#/${field}`);
  bundled.forEach((vc, i) => {
    const path = `#/${field}/${i}`;
    const v = validateSchema(schema, vc);
    if (!v.ok) return err(`bundle-${field.replace('_', '-')}`, `${field}/${i} does not match the ${schema} schema: ${v.errors[0]}`, path);
    let signed = false;
    try {
      signed = verifiedSigners(vc).size > 0;
    } catch {
      signed = false;
    }
    if (!signed) return err(`bundle-${field.replace('_', '-')}`, `${field}/${i} has no valid proof`, path);
    const subject = vc.credentialSubject;
    if (!isJsonObject(subject) || subject.corridor_id !== corridorId) err(`bundle-${field.replace('_', '-')}`, `${field}/${i} is about another corridor`, path);
  });
}
