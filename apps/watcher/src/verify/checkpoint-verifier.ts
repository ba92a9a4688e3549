import {
  canonicalize,
  checkpointDigest,
  isJsonObject,
  normalizeDigestSet,
  signingInput,
  validateSchema,
  verifyConsistencyProof,
  verifyMmrPeaks,
  type JsonObject,
  type MmrPeak,
} from '@corridor/protocol';
import { verifyDocumentProofs, type SignerPolicy } from './proofs';
import type { CorridorFacts } from './receipt-verifier';

export const CHECKPOINT_CHECKS = [
  'malformed',
  'wrong-corridor',
  'no-proof',
  'bad-proof',
  'not-sequencer',
  'unknown-signer',
  'bad-signature',
  'genesis-mismatch',
  'digest-set-mismatch',
  'mmr-size-mismatch',
  'mmr-peaks-invalid',
  'final-state-root-mismatch',
  'mmr-root-mismatch',
  'mmr-peaks-mismatch',
  'consistency-failed',
] as const;
export type CheckpointCheck = (typeof CHECKPOINT_CHECKS)[number];

/** The watcher's own verified chain at the checkpoint's height. */
export interface OwnHead {
  size: number;
  finalStateRoot: string;
  mmrRoot: string;
  mmrPeaks: MmrPeak[];
}

export type CheckpointOutcome =
  | { ok: true; size: number; digest: string; mmrRoot: string; finalStateRoot: string; signers: string[] }
  | { ok: false; check: CheckpointCheck; detail: string };

/** Shape, corridor and proofs of a checkpoint: what does not depend on the watcher's chain. */
export function checkCheckpointShape(ck: unknown, facts: CorridorFacts, policy: SignerPolicy): { ok: true; ck: JsonObject; size: number; signers: string[] } | { ok: false; check: CheckpointCheck; detail: string } {
  if (!isJsonObject(ck)) return { ok: false, check: 'malformed', detail: 'a checkpoint must be a JSON object' };
  const schema = validateSchema('corridor.checkpoint', ck);
  if (!schema.ok) return { ok: false, check: 'malformed', detail: `checkpoint does not match its schema: ${schema.errors[0]}` };
  if (ck.corridor_id !== facts.corridorId) return { ok: false, check: 'wrong-corridor', detail: `checkpoint names corridor ${JSON.stringify(ck.corridor_id)}, not ${facts.corridorId}` };
  const size = ck.receipt_count;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) return { ok: false, check: 'malformed', detail: 'receipt_count must be a positive integer' };
  const proofs = verifyDocumentProofs(ck.proof, signingInput(ck), policy, false, `checkpoint ${size}`);
  if (!proofs.ok) return proofs;
  return { ok: true, ck, size, signers: proofs.signers };
}

/**
 * A checkpoint against the watcher's own verified chain at the same height: corridor, proofs (all valid, all by
 * signers of the corridor), genesis root and digest sets (the corridor's, from receipt 0), receipt_count = mmr.size
 * = the height, final_state_root = the watcher's next_root there, MMR root and peaks = the watcher's.
 */
export function verifyCheckpointAgainstHead(ck: unknown, facts: CorridorFacts, policy: SignerPolicy, own: OwnHead): CheckpointOutcome {
  const shape = checkCheckpointShape(ck, facts, policy);
  if (!shape.ok) return shape;
  const c = shape.ck;
  const mismatch = binding(c, facts, shape.size);
  if (mismatch) return mismatch;
  if (shape.size !== own.size) return { ok: false, check: 'mmr-size-mismatch', detail: `checkpoint of ${shape.size} receipts compared with a chain of ${own.size}` };
  const mmr = c.mmr as JsonObject;
  if (c.final_state_root !== own.finalStateRoot) {
    return { ok: false, check: 'final-state-root-mismatch', detail: `checkpoint ${shape.size}: final_state_root ${String(c.final_state_root)} is not receipt ${own.size - 1}'s next_root ${own.finalStateRoot}` };
  }
  if (mmr.root !== own.mmrRoot) return { ok: false, check: 'mmr-root-mismatch', detail: `checkpoint ${shape.size}: mmr.root ${String(mmr.root)} is not the root ${own.mmrRoot} of the verified receipts` };
  if (canonicalize(mmr.peaks) !== canonicalize(own.mmrPeaks)) return { ok: false, check: 'mmr-peaks-mismatch', detail: `checkpoint ${shape.size}: mmr.peaks are not the verified chain's` };
  return { ok: true, size: shape.size, digest: checkpointDigest(c), mmrRoot: own.mmrRoot, finalStateRoot: own.finalStateRoot, signers: shape.signers };
}

/**
 * A checkpoint older than the watcher's head: its MMR must be a prefix of the watcher's, which a consistency proof
 * from its size to the watcher's size shows (trusted: the checkpoint's size and root, the watcher's own size and
 * root); its final_state_root must be the next_root the watcher verified at its height.
 */
export function verifyCheckpointBelowHead(
  ck: unknown,
  facts: CorridorFacts,
  policy: SignerPolicy,
  ownFinalStateRoot: string,
  own: { size: number; mmrRoot: string },
  consistencyProof: unknown,
): CheckpointOutcome {
  const shape = checkCheckpointShape(ck, facts, policy);
  if (!shape.ok) return shape;
  const c = shape.ck;
  const mismatch = binding(c, facts, shape.size);
  if (mismatch) return mismatch;
  if (c.final_state_root !== ownFinalStateRoot) {
    return { ok: false, check: 'final-state-root-mismatch', detail: `checkpoint ${shape.size}: final_state_root ${String(c.final_state_root)} is not receipt ${shape.size - 1}'s next_root ${ownFinalStateRoot}` };
  }
  const mmr = c.mmr as JsonObject;
  const v = verifyConsistencyProof(consistencyProof, { oldSize: shape.size, oldRoot: mmr.root as string, newSize: own.size, newRoot: own.mmrRoot });
  if (!v.valid) return { ok: false, check: 'consistency-failed', detail: `checkpoint ${shape.size} is not a prefix of the verified chain of ${own.size}: ${v.reason}${v.detail ? ` (${v.detail})` : ''}` };
  return { ok: true, size: shape.size, digest: checkpointDigest(c), mmrRoot: mmr.root as string, finalStateRoot: ownFinalStateRoot, signers: shape.signers };
}

/** Genesis, digest sets, size = mmr.size, a self-consistent peak list. */
function binding(c: JsonObject, facts: CorridorFacts, size: number): { ok: false; check: CheckpointCheck; detail: string } | null {
  if (facts.genesisRoot !== null && c.genesis_root !== facts.genesisRoot) {
    return { ok: false, check: 'genesis-mismatch', detail: `checkpoint genesis_root ${String(c.genesis_root)} is not the corridor's ${facts.genesisRoot}` };
  }
  try {
    if (facts.lawpackDigestSet !== null && canonicalize(normalizeDigestSet(c.lawpack_digest_set)) !== facts.lawpackDigestSet) {
      return { ok: false, check: 'digest-set-mismatch', detail: "checkpoint lawpack_digest_set is not the corridor's" };
    }
    if (facts.rulesetDigestSet !== null && canonicalize(normalizeDigestSet(c.ruleset_digest_set)) !== facts.rulesetDigestSet) {
      return { ok: false, check: 'digest-set-mismatch', detail: "checkpoint ruleset_digest_set is not the corridor's" };
    }
  } catch (e) {
    return { ok: false, check: 'malformed', detail: `checkpoint digest sets: ${(e as Error).message}` };
  }
  const mmr = c.mmr as JsonObject;
  if (mmr.size !== size) return { ok: false, check: 'mmr-size-mismatch', detail: `checkpoint receipt_count ${size} but mmr.size ${String(mmr.size)}` };
  const peaks = verifyMmrPeaks({ size: mmr.size, root: mmr.root, peaks: mmr.peaks });
  if (!peaks.valid) return { ok: false, check: 'mmr-peaks-invalid', detail: `checkpoint ${size}: ${peaks.reason}${peaks.detail ? ` (${peaks.detail})` : ''}` };
  return null;
}

/** Consistency between two checkpoints the watcher trusts (its last attested one and a newer one). */
export function verifyAttestedConsistency(proof: unknown, old: { size: number; mmrRoot: string }, next: { size: number; mmrRoot: string }): { ok: true } | { ok: false; check: 'consistency-failed'; detail: string } {
  const v = verifyConsistencyProof(proof, { oldSize: old.size, oldRoot: old.mmrRoot, newSize: next.size, newRoot: next.mmrRoot });
  return v.valid ? { ok: true } : { ok: false, check: 'consistency-failed', detail: `consistency proof ${old.size} → ${next.size}: ${v.reason}${v.detail ? ` (${v.detail})` : ''}` };
}
