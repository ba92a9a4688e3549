import { coerceDigest, normalizeDigestSet } from '../digest';
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json-value';
import { appendPeaks, bagPeaks, mmrLeafHash, mmrRootFromNextRoots, verifyMmrPeaks, type MmrPeak } from '../mmr';
import { computeNextRoot } from '../receipts/receipt';
import { corridorAgreementSummary, pyInt } from '../corridor/agreement';
import { corridorGenesis } from '../corridor/genesis';
import { anchorsAllowing, normalizeTrustAnchors, pyStr, type CorridorModule } from '../corridor/module';
import { corridorTransitionTypeRegistryDigest } from '../corridor/transition-types';
import {
  errorMessage,
  firstSchemaError,
  forkPoints,
  groupCandidates,
  isCanonicalText,
  loadForkResolutions,
  selectCanonicalChain,
  sortByPath,
  sourceValue,
  verifiedSigners,
  type CandidateIndex,
  type ReceiptRow,
} from './common';
import type {
  ChainExpectations,
  ChainIssue,
  ChainMmr,
  ChainOptions,
  ChainVerification,
  ChainWarning,
  CorridorChainResult,
  KeyRotationRecord,
  ReceiptSource,
} from './types';

/** Everything a corridor's receipts are checked against, derived from its module. */
export function chainExpectations(module: CorridorModule): ChainExpectations {
  const { errors, summary } = corridorAgreementSummary(module);
  const genesis = corridorGenesis(module, summary);
  return {
    corridor_id: genesis.corridor_id,
    genesis_root: genesis.genesis_root,
    ruleset_digest_set: genesis.ruleset_digest_set,
    lawpack_digest_set: genesis.lawpack_digest_set,
    transition_type_registry_digest_sha256: corridorTransitionTypeRegistryDigest(module),
    trust_anchors: normalizeTrustAnchors(module.trustAnchors),
    receipt_signing_thresholds: summary.receipt_signing_thresholds ?? [],
    checkpoint_signing_thresholds: summary.checkpoint_signing_thresholds ?? [],
    role_by_did: summary.role_by_did ?? {},
    agreement_errors: errors,
  };
}

function mmrOf(size: number, root: string, peaks: MmrPeak[]): ChainMmr {
  return { type: 'sha256-mmr', algorithm: 'sha256', size, root, peaks };
}

/**
 * Verifies a corridor receipt chain (reference `_corridor_state_build_chain`, §7 of the reference algorithms).
 *
 * 1. Every receipt, in path order, passes — or is reported at the first failure among — `parse`,
 *    `canonical-bytes` (optional), `schema`, `next-root` (recomputed), `ruleset-digest-set` and `lawpack-digest-set`
 *    (equal to the corridor's as sets), `transition-type-registry` (optional), `proof` (at least one valid proof),
 *    `trust-anchor` (optional: a signer allowed `corridor_receipt`). Any failure: no result.
 * 2. Optionally start from a signed checkpoint instead of genesis.
 * 3. Duplicates (same sequence, prev_root and next_root) merge; optionally candidates below the receipt-signing
 *    thresholds are dropped.
 * 4. The walk takes the single receipt at each (sequence, prev_root); several receipts there are a fork, which
 *    needs a fork resolution naming one of them.
 * 5. Gaps end the chain (warning for what lies beyond); a chain from genesis must start at sequence 0.
 * The MMR commits to the chosen chain's next_roots from sequence 0. From a checkpoint with only the tail at hand,
 * the tail's next_roots are leaf-hashed onto the checkpoint's peaks (the reference appends them raw: see
 * spec/protocol.md).
 */
/**
 * The per-receipt phase of chain verification (step 1 above): every receipt on its own, independent of the
 * others, so callers may split the receipts across worker threads and concatenate the results in path order.
 * Errors hold the first failing check of each failing receipt.
 */
export function checkReceiptSources(expected: ChainExpectations, receipts: readonly ReceiptSource[], options: ChainOptions = {}): CheckedReceipts {
  const errors: ChainIssue[] = [];
  const allowedReceiptSigners = options.enforceTrustAnchors ? anchorsAllowing(expected.trust_anchors ?? [], 'corridor_receipt', { wildcard: true }) : new Set<string>();
  const expectedRulesets = new Set(expected.ruleset_digest_set);
  const expectedLawpacks = new Set(expected.lawpack_digest_set);
  const rows: ReceiptRow[] = [];
  for (const src of sortByPath(receipts)) {
    const issue = (check: ChainIssue['check'], message: string) => errors.push({ check, message: `${message}`, path: src.path });
    let receipt: JsonValue;
    try {
      receipt = sourceValue(src);
    } catch (e) {
      issue('parse', `failed to load receipt ${src.path}: ${errorMessage(e)}`);
      continue;
    }
    if (options.checkCanonicalBytes && src.text !== undefined) {
      let canonical = false;
      try {
        canonical = isCanonicalText(src.text, receipt);
      } catch {
        canonical = false;
      }
      if (!canonical) {
        issue('canonical-bytes', `non-canonical receipt bytes (expected canonical JSON): ${src.path}`);
        continue;
      }
    }
    const schemaError = firstSchemaError('corridor.receipt', receipt);
    if (schemaError !== undefined || !isJsonObject(receipt)) {
      issue('schema', `invalid receipt schema: ${src.path}: ${schemaError ?? 'not an object'}`);
      continue;
    }
    let computed: string;
    try {
      computed = computeNextRoot(receipt);
    } catch (e) {
      issue('next-root', `next_root recompute failed: ${src.path}: ${errorMessage(e)}`);
      continue;
    }
    if (receipt.next_root !== computed) {
      issue('next-root', `next_root mismatch: ${src.path}: declared ${pyStr(receipt.next_root)} computed ${computed}`);
      continue;
    }
    const declaredRulesets = normalizeDigestSet(receipt.ruleset_digest_set ?? []);
    if (!sameSet(declaredRulesets, expectedRulesets)) {
      issue('ruleset-digest-set', `ruleset_digest_set mismatch: ${src.path}: expected ${pyList(expected.ruleset_digest_set)} got ${pyList(declaredRulesets)}`);
      continue;
    }
    const declaredLawpacks = normalizeDigestSet(receipt.lawpack_digest_set ?? []);
    if (!sameSet(declaredLawpacks, expectedLawpacks)) {
      issue('lawpack-digest-set', `lawpack_digest_set mismatch: ${src.path}: expected ${pyList(expected.lawpack_digest_set)} got ${pyList(declaredLawpacks)}`);
      continue;
    }
    if (options.enforceTransitionTypes && expected.transition_type_registry_digest_sha256) {
      const declared = coerceDigest(receipt.transition_type_registry_digest_sha256);
      if (declared && declared !== expected.transition_type_registry_digest_sha256) {
        issue('transition-type-registry', `receipt transition_type_registry_digest_sha256 does not match corridor registry digest: ${src.path}`);
        continue;
      }
    }
    let signers: Set<string>;
    try {
      // The full signer set matters only for trust-anchor enforcement and threshold pruning; otherwise the
      // decision (at least one valid proof) and the report are the same after the first valid proof.
      signers = verifiedSigners(receipt, { untilFirstValid: !options.enforceTrustAnchors && !options.enforceReceiptThreshold });
    } catch (e) {
      issue('proof', `receipt proof verification failed: ${src.path}: ${errorMessage(e)}`);
      continue;
    }
    if (signers.size === 0) {
      issue('proof', `receipt signature verification failed (no valid proofs): ${src.path}`);
      continue;
    }
    if (options.keyRotations?.length) signers = participantsAt(options.keyRotations, signers, receipt.sequence as number);
    if (options.enforceTrustAnchors && allowedReceiptSigners.size > 0 && ![...signers].some((d) => allowedReceiptSigners.has(d))) {
      issue('trust-anchor', `receipt signer not in trust anchors: ${src.path}: signers=${pyList([...signers].sort())}`);
      continue;
    }
    rows.push({ path: src.path, receipt, signers });
  }
  return { rows, errors };
}

/** Result of the per-receipt phase: the receipts that passed every check, and the first failure of the others. */
export interface CheckedReceipts {
  rows: ReceiptRow[];
  errors: ChainIssue[];
}

export function verifyCorridorChain(
  expected: ChainExpectations,
  receipts: readonly ReceiptSource[],
  options: ChainOptions = {},
  /** The per-receipt phase, when the caller already ran it (e.g. in parallel with `checkReceiptSources`). */
  checked?: CheckedReceipts,
): ChainVerification {
  const errors: ChainIssue[] = [];
  const warnings: ChainWarning[] = [];
  const fail = (): ChainVerification => ({ valid: false, result: null, forks: [], warnings, errors });

  if (options.enforceTrustAnchors && anchorsAllowing(expected.trust_anchors ?? [], 'corridor_receipt', { wildcard: true }).size === 0) {
    errors.push({ check: 'trust-anchors', message: 'trust anchors enforced but no anchor permits corridor_receipt' });
  }
  const thresholds = options.enforceReceiptThreshold ? (expected.receipt_signing_thresholds ?? []) : [];
  if (options.enforceReceiptThreshold) {
    for (const e of expected.agreement_errors ?? []) errors.push({ check: 'agreement', message: e });
  }
  const resolutions = loadForkResolutions(options.forkResolutions, expected.corridor_id, { requireSigned: options.requireSignedForkResolutions });
  for (const e of resolutions.errors) errors.push({ check: 'fork-resolution', message: e });

  if (receipts.length === 0) {
    errors.push({ check: 'no-receipts', message: 'no receipts given' });
    return fail();
  }

  const { rows, errors: receiptErrors } = checked ?? checkReceiptSources(expected, receipts, options);
  errors.push(...receiptErrors);
  if (errors.length > 0) return fail();

  // Bootstrap from a checkpoint.
  let startSeq = 0;
  let startPrev = expected.genesis_root;
  let checkpointPeaks: MmrPeak[] | undefined;
  if (options.fromCheckpoint) {
    const ck = loadBootstrapCheckpoint(expected, options, errors);
    if (!ck) return fail();
    startSeq = ck.receiptCount;
    startPrev = ck.finalStateRoot;
    checkpointPeaks = ck.peaks;
  }

  let index = groupCandidates(rows);
  if (thresholds.length > 0) index = pruneBelowThresholds(index, thresholds, expected.role_by_did ?? {});
  const forks = forkPoints(index, resolutions.chosen);

  const walk = selectCanonicalChain(index, startSeq, startPrev, resolutions.chosen.size ? resolutions.chosen : undefined);
  warnings.push(...walk.warnings);
  for (const e of walk.errors) errors.push(e);
  if (errors.length > 0) return { valid: false, result: null, forks, warnings, errors };
  const chain = walk.chain;

  if (chain.length === 0) {
    const keys = [...index.bySeqPrev.values()];
    if (startSeq === 0) {
      if (keys.some((k) => k.sequence === 0)) {
        errors.push({
          check: 'genesis-mismatch',
          message: `no canonical chain starts at (sequence=0, prev_root=genesis_root=${expected.genesis_root}); receipts may target a different genesis_root`,
        });
      } else {
        errors.push({ check: 'missing-genesis-receipt', message: 'receipt set does not include an initial receipt (sequence=0); cannot verify from genesis' });
      }
      return { valid: false, result: null, forks, warnings, errors };
    }
    if (keys.some((k) => k.sequence >= startSeq)) {
      errors.push({ check: 'checkpoint-disconnected', message: `no receipts connect to from-checkpoint head at (sequence=${startSeq}, prev_root=${startPrev})` });
      return { valid: false, result: null, forks, warnings, errors };
    }
  }

  const headSeq = startSeq + chain.length;
  const unreachable = [...index.bySeqPrev.values()]
    .filter((k) => k.sequence > headSeq)
    .map((k) => [k.sequence, k.prev_root] as const)
    .sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  if (unreachable.length > 0) {
    warnings.push({
      code: 'unreachable-beyond-head',
      message: `unreachable receipts exist beyond the selected head (head_seq=${headSeq}); first few unreachable keys: [${unreachable
        .slice(0, 5)
        .map(([s, p]) => `(${s}, '${p}')`)
        .join(', ')}]`,
    });
  }

  const total = startSeq + chain.length;
  const finalStateRoot = chain.length === 0 ? startPrev : pyStr(chain[chain.length - 1].next_root);
  let mmr: ChainMmr | undefined;
  if (options.fromCheckpoint && startSeq > 0) {
    // With the history from genesis at hand, recompute the whole MMR (it must pass through the checkpoint's head).
    if (rows.some((r) => Number(r.receipt.sequence) === 0)) {
      const full = selectCanonicalChain(index, 0, expected.genesis_root, resolutions.chosen.size ? resolutions.chosen : undefined);
      if (full.errors.length === 0 && full.chain.length >= total) {
        if (pyStr(full.chain[startSeq - 1].next_root) !== startPrev) {
          errors.push({ check: 'checkpoint-mmr', message: 'the receipts from genesis do not pass through the from-checkpoint head' });
          return { valid: false, result: null, forks, warnings, errors };
        }
        const m = mmrRootFromNextRoots(full.chain.slice(0, total).map((r) => pyStr(r.next_root)));
        mmr = mmrOf(total, m.root, m.peaks);
        for (const w of full.warnings) if (!warnings.some((x) => x.message === w.message)) warnings.push(w);
      }
    }
    if (!mmr) {
      if (!checkpointPeaks) {
        errors.push({
          check: 'checkpoint-mmr',
          message: 'from-checkpoint does not include mmr.peaks and full receipt history was not available; cannot compute head MMR root',
        });
        return { valid: false, result: null, forks, warnings, errors };
      }
      // The fix over the reference: the tail's next_roots enter the MMR as LEAF hashes, like every other leaf.
      const peaks = appendPeaks(checkpointPeaks, chain.map((r) => mmrLeafHash(pyStr(r.next_root))));
      mmr = mmrOf(total, bagPeaks(peaks), peaks);
    }
  }
  if (!mmr) {
    const m = mmrRootFromNextRoots(chain.map((r) => pyStr(r.next_root)));
    mmr = mmrOf(total, m.root, m.peaks);
  }

  const result: CorridorChainResult = {
    corridor_id: expected.corridor_id,
    genesis_root: expected.genesis_root,
    receipts: chain,
    receipt_count: total,
    final_state_root: finalStateRoot,
    mmr,
    transition_type_registry_digest_sha256: expected.transition_type_registry_digest_sha256,
  };
  return { valid: true, result, forks, warnings, errors };
}

/** Convenience: expectations from the module, then `verifyCorridorChain`. */
export function verifyCorridorModuleChain(module: CorridorModule, receipts: readonly ReceiptSource[], options: ChainOptions = {}): ChainVerification {
  return verifyCorridorChain(chainExpectations(module), receipts, options);
}

interface BootstrapCheckpoint {
  receiptCount: number;
  finalStateRoot: string;
  peaks?: MmrPeak[];
}

/**
 * The bootstrap checkpoint: schema, at least one valid proof, this corridor, this genesis (as the reference), and —
 * beyond the reference — an MMR whose size is receipt_count and whose peaks (when given) are the decomposition of
 * that size and bag to its root, so the head MMR computed from them is the one the signers committed to.
 */
function loadBootstrapCheckpoint(expected: ChainExpectations, options: ChainOptions, errors: ChainIssue[]): BootstrapCheckpoint | undefined {
  const src = options.fromCheckpoint!;
  const path = src.path ?? 'checkpoint';
  let ck: JsonValue;
  try {
    ck = sourceValue(src);
  } catch (e) {
    errors.push({ check: 'checkpoint-parse', message: `failed to load from-checkpoint: ${path}: ${errorMessage(e)}`, path });
    return undefined;
  }
  if (options.checkCanonicalBytes && src.text !== undefined && !isCanonicalText(src.text, ck)) {
    errors.push({ check: 'checkpoint-canonical-bytes', message: `non-canonical from-checkpoint bytes (expected canonical JSON): ${path}`, path });
    return undefined;
  }
  const schemaError = firstSchemaError('corridor.checkpoint', ck);
  if (schemaError !== undefined || !isJsonObject(ck)) {
    errors.push({ check: 'checkpoint-schema', message: `invalid from-checkpoint schema: ${path}: ${schemaError ?? 'not an object'}`, path });
    return undefined;
  }
  if (verifiedSigners(ck).size === 0) {
    errors.push({ check: 'checkpoint-proof', message: `from-checkpoint signature verification failed: ${path}`, path });
    return undefined;
  }
  if (pyStr(ck.corridor_id) !== expected.corridor_id) {
    errors.push({ check: 'checkpoint-corridor', message: `from-checkpoint corridor_id mismatch: expected ${expected.corridor_id} got ${pyStr(ck.corridor_id)}`, path });
    return undefined;
  }
  if (pyStr(ck.genesis_root) !== expected.genesis_root) {
    errors.push({ check: 'checkpoint-genesis', message: `from-checkpoint genesis_root mismatch: expected ${expected.genesis_root} got ${pyStr(ck.genesis_root)}`, path });
    return undefined;
  }
  const receiptCount = pyInt(ck.receipt_count) ?? 0;
  const mmr = ck.mmr as JsonObject;
  if (pyInt(mmr.size) !== receiptCount) {
    errors.push({ check: 'checkpoint-mmr', message: `from-checkpoint mmr.size ${pyStr(mmr.size)} is not its receipt_count ${receiptCount}`, path });
    return undefined;
  }
  let peaks: MmrPeak[] | undefined;
  if (mmr.peaks !== undefined) {
    const check = verifyMmrPeaks({ size: receiptCount, root: mmr.root, peaks: mmr.peaks });
    if (!check.valid) {
      errors.push({ check: 'checkpoint-mmr', message: `from-checkpoint mmr is inconsistent: ${check.detail ?? check.reason}`, path });
      return undefined;
    }
    peaks = (mmr.peaks as JsonObject[]).map((p) => ({ height: Number(p.height), hash: pyStr(p.hash) }));
  }
  return { receiptCount, finalStateRoot: pyStr(ck.final_state_root), peaks };
}

/**
 * The participants (as the agreement and trust anchors name them) whose keys signed a receipt at `sequence`: a
 * rotated-in key counts as the participant it replaced from its sequence on; a key used after it was rotated out
 * counts for nobody.
 */
function participantsAt(rotations: readonly KeyRotationRecord[], signers: Set<string>, sequence: number): Set<string> {
  const out = new Set<string>();
  for (const signer of signers) {
    if (rotations.some((r) => r.previous_key === signer && sequence >= r.effective_from_sequence)) continue;
    let did = signer;
    for (let i = rotations.length - 1; i >= 0; i--) {
      const r = rotations[i]!;
      if (r.new_key === did && sequence >= r.effective_from_sequence) did = r.previous_key;
    }
    out.add(did);
  }
  return out;
}

/** Receipt-threshold pruning (post-merge): a candidate stays when, for every threshold, enough of its signers hold the role. */
function pruneBelowThresholds(index: CandidateIndex, thresholds: JsonObject[], roleByDid: Record<string, string>): CandidateIndex {
  const out: CandidateIndex = { bySeqPrev: new Map() };
  for (const [key, slot] of index.bySeqPrev) {
    const kept = slot.candidates.filter((cand) =>
      thresholds.every((t) => {
        const required = pyInt(t.required) ?? 0;
        if (required <= 0) return true;
        const role = pyStr(t.role);
        let count = 0;
        for (const d of cand.signers) if (roleByDid[d] === role) count++;
        return count >= required;
      }),
    );
    if (kept.length > 0) out.bySeqPrev.set(key, { ...slot, candidates: kept });
  }
  return out;
}

function sameSet(list: string[], set: Set<string>): boolean {
  const s = new Set(list);
  return s.size === set.size && [...s].every((x) => set.has(x));
}

function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}
