import { coerceDigest } from '../digest';
import { ProtocolError } from '../errors';
import { isJsonObject, type JsonObject } from '../json/json-value';
import { buildInclusionProof, verifyInclusionProof, type MmrInclusionFailure } from '../mmr';
import { CHECKPOINT_MMR_TYPE, checkpointDigest } from '../receipts/commitments';
import { computeNextRoot } from '../receipts/receipt';
import { verifyProofs } from '../proofs/proof';
import { baseDid } from '../keys/did-key';
import { pyInt } from '../corridor/agreement';
import { anchorsAllowing, pyStr, type TrustAnchor } from '../corridor/module';
import { firstSchemaError } from './common';
import type { CorridorChainResult } from './types';

export const RECEIPT_INCLUSION_PROOF_TYPE = 'MSEZCorridorReceiptInclusionProof';

export interface ReceiptInclusionProofInput {
  corridor_id: string;
  /** The next_roots of the chain from sequence 0, in order (the MMR leaves). */
  next_roots: string[];
  sequence: number;
  generated_at: string;
  /** Bind the proof to this checkpoint (its MMR must be the one the proof is computed over). */
  checkpoint?: { value: JsonObject; path?: string };
}

/**
 * The inclusion proof object (reference `cmd_corridor_state_inclusion_proof`): the MMR proof of leaf `sequence`
 * wrapped with the corridor, the MMR commitment and, when a checkpoint is given, its digest and head
 * (`checkpoint_digest_sha256`, `checkpoint_path`, `checkpoint_mmr_root`, `checkpoint_receipt_count`,
 * `checkpoint_final_state_root`, `checkpoint_ref`).
 */
export function buildReceiptInclusionProof(input: ReceiptInclusionProofInput): JsonObject {
  if (!Number.isSafeInteger(input.sequence) || input.sequence < 0 || input.sequence >= input.next_roots.length) {
    throw new ProtocolError('invalid-inclusion-proof', `sequence out of range (have ${input.next_roots.length} receipts)`);
  }
  const base = buildInclusionProof(input.next_roots.map((r) => r.trim().toLowerCase()), input.sequence);
  const proof: JsonObject = {
    type: RECEIPT_INCLUSION_PROOF_TYPE,
    corridor_id: input.corridor_id,
    generated_at: input.generated_at,
    mmr: { type: CHECKPOINT_MMR_TYPE, algorithm: 'sha256', size: base.size, root: base.root },
    leaf_index: base.leaf_index,
    receipt_next_root: base.receipt_next_root,
    leaf_hash: base.leaf_hash,
    peak_index: base.peak_index,
    peak_height: base.peak_height,
    path: base.path.map((s) => ({ side: s.side, hash: s.hash })),
    peaks: base.peaks.map((p) => ({ height: p.height, hash: p.hash })),
    computed_peak_root: base.computed_peak_root,
  };
  if (input.checkpoint) {
    const cp = input.checkpoint.value;
    const cpMmr = isJsonObject(cp.mmr) ? cp.mmr : {};
    if (pyStr(cpMmr.root).trim().toLowerCase() !== base.root) {
      throw new ProtocolError('invalid-inclusion-proof', 'Checkpoint mmr.root does not match computed proof root');
    }
    if ((pyInt(cpMmr.size) ?? 0) !== base.size) {
      throw new ProtocolError('invalid-inclusion-proof', 'Checkpoint mmr.size does not match computed proof size');
    }
    const digest = checkpointDigest(cp);
    const path = input.checkpoint.path ?? '';
    proof.checkpoint_digest_sha256 = digest;
    proof.checkpoint_path = path;
    proof.checkpoint_mmr_root = pyStr(cpMmr.root);
    proof.checkpoint_receipt_count = pyInt(cpMmr.size) ?? 0;
    proof.checkpoint_final_state_root = pyStr(cp.final_state_root);
    proof.checkpoint_ref = { artifact_type: 'checkpoint', digest_sha256: digest, ...(path ? { uri: path } : {}), media_type: 'application/json' };
  }
  return proof;
}

/** The inclusion proof of one receipt of a verified chain (the chain must start at genesis). */
export function receiptInclusionProofFromChain(
  result: CorridorChainResult,
  sequence: number,
  generatedAt: string,
  checkpoint?: { value: JsonObject; path?: string },
): JsonObject {
  if (result.receipts.length !== result.receipt_count) {
    throw new ProtocolError('invalid-inclusion-proof', 'inclusion proofs need the whole chain from genesis (this result starts at a checkpoint)');
  }
  return buildReceiptInclusionProof({
    corridor_id: result.corridor_id,
    next_roots: result.receipts.map((r) => pyStr(r.next_root)),
    sequence,
    generated_at: generatedAt,
    checkpoint,
  });
}

/** The checks of inclusion verification, in the order they run (the reference's, after a schema check of the proof). */
export const INCLUSION_CHECKS = [
  'schema',
  'corridor-binding',
  'receipt-proof',
  'receipt-trust-anchor',
  'checkpoint-proof',
  'checkpoint-trust-anchor',
  'receipt-next-root',
  'receipt-binding',
  'leaf-index',
  'checkpoint-mmr',
  'checkpoint-receipt-count',
  'checkpoint-digest',
  'checkpoint-final-state-root',
  'mmr-inclusion',
] as const;
export type InclusionCheck = (typeof INCLUSION_CHECKS)[number];

export interface InclusionVerification {
  valid: boolean;
  check?: InclusionCheck;
  message?: string;
  /** The MMR verifier's failure code when `check` is `mmr-inclusion`. */
  mmr_failure?: MmrInclusionFailure;
}

export interface InclusionVerifyInput {
  proof: unknown;
  receipt: JsonObject;
  checkpoint: JsonObject;
  /** The corridor the three documents must belong to (when they name one). */
  corridor_id?: string;
  /** When given, the receipt needs a signer allowed `corridor_receipt`, the checkpoint one allowed `corridor_checkpoint` or `corridor_receipt`. */
  trust_anchors?: TrustAnchor[];
}

/**
 * Verifies that a receipt is included in the MMR a signed checkpoint commits to (reference
 * `cmd_corridor_state_verify_inclusion`). Every proof of the receipt and of the checkpoint must be valid. The MMR
 * proof is checked by `verifyInclusionProof`, which — unlike the reference — binds the peak list to the size.
 */
export function verifyReceiptInclusionProof(input: InclusionVerifyInput): InclusionVerification {
  const fail = (check: InclusionCheck, message: string, mmr_failure?: MmrInclusionFailure): InclusionVerification => ({
    valid: false,
    check,
    message,
    ...(mmr_failure ? { mmr_failure } : {}),
  });
  const { receipt, checkpoint } = input;
  const schemaError = firstSchemaError('corridor.inclusion-proof', input.proof);
  if (schemaError !== undefined) return fail('schema', `invalid inclusion proof: ${schemaError}`);
  const proof = input.proof as JsonObject;

  if (input.corridor_id) {
    for (const [name, obj] of [['receipt', receipt], ['checkpoint', checkpoint], ['proof', proof]] as const) {
      const cid = pyStr(obj.corridor_id).trim();
      if (cid && cid !== input.corridor_id) return fail('corridor-binding', `${name}.corridor_id does not match the corridor`);
    }
  }

  const rres = verifyProofs(receipt);
  if (rres.length === 0 || rres.some((r) => !r.ok)) return fail('receipt-proof', 'receipt signature invalid');
  if (input.trust_anchors) {
    const allowed = anchorsAllowing(input.trust_anchors, 'corridor_receipt');
    if (allowed.size > 0 && !rres.some((r) => allowed.has(baseDid(r.verificationMethod)))) {
      return fail('receipt-trust-anchor', 'receipt not signed by an allowed trust anchor');
    }
  }
  const cres = verifyProofs(checkpoint);
  if (cres.length === 0 || cres.some((r) => !r.ok)) return fail('checkpoint-proof', 'checkpoint signature invalid');
  if (input.trust_anchors) {
    const allowed = new Set([...anchorsAllowing(input.trust_anchors, 'corridor_checkpoint'), ...anchorsAllowing(input.trust_anchors, 'corridor_receipt')]);
    if (allowed.size > 0 && !cres.some((r) => allowed.has(baseDid(r.verificationMethod)))) {
      return fail('checkpoint-trust-anchor', 'checkpoint not signed by an allowed trust anchor');
    }
  }

  let computed: string;
  try {
    computed = computeNextRoot(receipt);
  } catch (e) {
    return fail('receipt-next-root', `receipt next_root cannot be computed: ${(e as Error).message}`);
  }
  if (computed !== pyStr(receipt.next_root)) return fail('receipt-next-root', 'receipt next_root mismatch');
  if (pyStr(proof.receipt_next_root).trim().toLowerCase() !== pyStr(receipt.next_root).trim().toLowerCase()) {
    return fail('receipt-binding', 'proof receipt_next_root does not match receipt');
  }
  const seq = typeof receipt.sequence === 'number' ? receipt.sequence : -2;
  if (proof.leaf_index !== seq) return fail('leaf-index', 'proof.leaf_index does not match receipt.sequence');

  const cpMmr = isJsonObject(checkpoint.mmr) ? checkpoint.mmr : {};
  const prMmr = proof.mmr as JsonObject;
  if (pyStr(cpMmr.root).trim().toLowerCase() !== pyStr(prMmr.root).trim().toLowerCase()) return fail('checkpoint-mmr', 'proof mmr.root does not match checkpoint');
  if ((pyInt(cpMmr.size) ?? 0) !== (pyInt(prMmr.size) ?? 0)) return fail('checkpoint-mmr', 'proof mmr.size does not match checkpoint');
  const count = pyInt(checkpoint.receipt_count) ?? 0;
  if (count && count !== (pyInt(cpMmr.size) ?? 0)) return fail('checkpoint-receipt-count', 'checkpoint receipt_count does not match checkpoint.mmr.size');

  let committed = '';
  try {
    committed = isJsonObject(proof.checkpoint_ref) ? coerceDigest(proof.checkpoint_ref) : '';
  } catch {
    committed = '';
  }
  if (!committed) committed = pyStr(proof.checkpoint_digest_sha256).trim().toLowerCase();
  if (committed && checkpointDigest(checkpoint) !== committed) return fail('checkpoint-digest', 'checkpoint digest does not match proof commitment');
  if (proof.checkpoint_final_state_root && checkpoint.final_state_root) {
    if (pyStr(proof.checkpoint_final_state_root).trim().toLowerCase() !== pyStr(checkpoint.final_state_root).trim().toLowerCase()) {
      return fail('checkpoint-final-state-root', 'proof checkpoint_final_state_root does not match checkpoint');
    }
  }

  const v = verifyInclusionProof({
    size: prMmr.size,
    root: pyStr(prMmr.root).trim().toLowerCase(),
    leaf_index: proof.leaf_index,
    receipt_next_root: pyStr(proof.receipt_next_root).trim().toLowerCase(),
    leaf_hash: pyStr(proof.leaf_hash).trim().toLowerCase(),
    peak_index: proof.peak_index,
    peak_height: proof.peak_height,
    path: proof.path,
    peaks: proof.peaks,
  });
  if (!v.valid) return fail('mmr-inclusion', `invalid inclusion proof: ${v.detail ?? v.reason}`, v.reason);
  return { valid: true };
}
