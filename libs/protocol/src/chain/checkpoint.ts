import { ProtocolError } from '../errors';
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json-value';
import { verifyMmrPeaks } from '../mmr';
import { buildCheckpoint } from '../receipts/commitments';
import { pyInt } from '../corridor/agreement';
import { pyStr } from '../corridor/module';
import { errorMessage, firstSchemaError, isCanonicalText, sourceValue, verifiedSigners } from './common';
import type { CheckpointSource, CorridorChainResult } from './types';

/**
 * The unsigned checkpoint of a verified chain head (reference `cmd_corridor_state_checkpoint`): digest sets as the
 * first receipt carries them (normalized), the head and the MMR of the result. Sign it with `addProof`; further
 * signatures co-sign without changing its digest.
 */
export function checkpointFromChain(result: CorridorChainResult, timestamp: string): JsonObject {
  if (result.receipt_count < 1 || result.receipts.length === 0) {
    throw new ProtocolError('invalid-checkpoint', 'a checkpoint needs at least one receipt');
  }
  const first = result.receipts[0];
  return buildCheckpoint({
    corridor_id: result.corridor_id,
    timestamp,
    genesis_root: result.genesis_root,
    final_state_root: result.final_state_root,
    receipt_count: result.receipt_count,
    lawpack_digest_set: (first.lawpack_digest_set as unknown[]) ?? [],
    ruleset_digest_set: (first.ruleset_digest_set as unknown[]) ?? [],
    mmr: { size: result.mmr.size, root: result.mmr.root, peaks: result.mmr.peaks },
  });
}

export const CHECKPOINT_CHECKS = [
  'parse',
  'canonical-bytes',
  'schema',
  'proof',
  'corridor-id',
  'genesis-root',
  'receipt-count',
  'final-state-root',
  'mmr-root',
  'mmr-size',
  'mmr-peaks',
  'signing-threshold',
] as const;
export type CheckpointCheck = (typeof CHECKPOINT_CHECKS)[number];

export interface CheckpointVerification {
  valid: boolean;
  /** Base DIDs of the valid proofs. */
  signers: string[];
  errors: { check: CheckpointCheck; message: string }[];
}

export interface CheckpointVerifyOptions {
  checkCanonicalBytes?: boolean;
  /** Per-role checkpoint signing thresholds (from the agreement) and the participants' roles. */
  signingThresholds?: JsonObject[];
  roleByDid?: Record<string, string>;
}

/**
 * Checks a checkpoint against a verified chain (reference `cmd_corridor_state_verify --checkpoint`): schema, at least
 * one valid proof, then equality of corridor_id, genesis_root, receipt_count, final_state_root, mmr.root and
 * mmr.size with the chain's head. Beyond the reference, its peak list (when present) must be the chain's
 * decomposition bagging to mmr.root. Optionally, each checkpoint signing threshold must be met by signers holding
 * the role.
 */
export function verifyCheckpointAgainstChain(source: CheckpointSource, result: CorridorChainResult, options: CheckpointVerifyOptions = {}): CheckpointVerification {
  const errors: CheckpointVerification['errors'] = [];
  const path = source.path ?? 'checkpoint';
  let ck: JsonValue;
  try {
    ck = sourceValue(source);
  } catch (e) {
    return { valid: false, signers: [], errors: [{ check: 'parse', message: `failed to load checkpoint: ${path}: ${errorMessage(e)}` }] };
  }
  if (options.checkCanonicalBytes && source.text !== undefined && !isCanonicalText(source.text, ck)) {
    return { valid: false, signers: [], errors: [{ check: 'canonical-bytes', message: `non-canonical checkpoint bytes (expected canonical JSON): ${path}` }] };
  }
  const schemaError = firstSchemaError('corridor.checkpoint', ck);
  if (schemaError !== undefined || !isJsonObject(ck)) {
    return { valid: false, signers: [], errors: [{ check: 'schema', message: `invalid checkpoint schema: ${path}: ${schemaError ?? 'not an object'}` }] };
  }
  const signers = [...verifiedSigners(ck)].sort();
  if (signers.length === 0) errors.push({ check: 'proof', message: `checkpoint signature verification failed: ${path}` });
  if (pyStr(ck.corridor_id) !== result.corridor_id) errors.push({ check: 'corridor-id', message: 'checkpoint corridor_id mismatch' });
  if (pyStr(ck.genesis_root) !== result.genesis_root) errors.push({ check: 'genesis-root', message: 'checkpoint genesis_root mismatch' });
  if ((pyInt(ck.receipt_count) ?? 0) !== result.receipt_count) errors.push({ check: 'receipt-count', message: 'checkpoint receipt_count mismatch' });
  if (pyStr(ck.final_state_root) !== result.final_state_root) errors.push({ check: 'final-state-root', message: 'checkpoint final_state_root mismatch' });
  const mmr = ck.mmr as JsonObject;
  if (pyStr(mmr.root) !== result.mmr.root) errors.push({ check: 'mmr-root', message: 'checkpoint mmr.root mismatch' });
  if ((pyInt(mmr.size) ?? 0) !== result.receipt_count) errors.push({ check: 'mmr-size', message: 'checkpoint mmr.size mismatch' });
  if (mmr.peaks !== undefined) {
    const v = verifyMmrPeaks({ size: mmr.size, root: mmr.root, peaks: mmr.peaks });
    if (!v.valid) errors.push({ check: 'mmr-peaks', message: `checkpoint mmr.peaks inconsistent: ${v.detail ?? v.reason}` });
  }
  if (signers.length > 0 && options.signingThresholds) {
    const roleByDid = options.roleByDid ?? {};
    for (const t of options.signingThresholds) {
      const required = pyInt(t.required) ?? 0;
      if (required <= 0) continue;
      const role = pyStr(t.role);
      const count = signers.filter((d) => roleByDid[d] === role).length;
      if (count < required) {
        errors.push({ check: 'signing-threshold', message: `checkpoint signing threshold not met for role=${role}: required=${required}, got=${count}` });
      }
    }
  }
  return { valid: errors.length === 0, signers, errors };
}
