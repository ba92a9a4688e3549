import { digestOf, normalizeDigestSet } from '../digest';
import type { JsonObject } from '../json/json-value';
import { withoutKeys } from '../proofs/proof';

export const GENESIS_TAG = 'msez.corridor.state.genesis.v1';

export interface GenesisInput {
  corridor_id: string;
  definition_payload_sha256: string;
  agreement_set_sha256: string;
  lawpack_digest_set: unknown[];
  ruleset_digest_set: unknown[];
  /** Genesis tag; other aggregate chains use their own (see spec/receipt-chains.md). */
  tag?: string;
}

/** `SHA256(canonical({tag, corridor_id, definition_payload_sha256, agreement_set_sha256, lawpack_digest_set, ruleset_digest_set}))`. */
export function genesisRoot(input: GenesisInput): string {
  return digestOf({
    tag: input.tag ?? GENESIS_TAG,
    corridor_id: input.corridor_id,
    definition_payload_sha256: input.definition_payload_sha256,
    agreement_set_sha256: input.agreement_set_sha256,
    lawpack_digest_set: normalizeDigestSet(input.lawpack_digest_set),
    ruleset_digest_set: normalizeDigestSet(input.ruleset_digest_set),
  });
}

export interface HeadCommitmentInput {
  corridor_id: string;
  genesis_root: string;
  receipt_count: number | string | null | undefined;
  final_state_root: string;
  mmr_root: string;
}

/** The head preimage after the reference's normalization (ids stripped, roots stripped and lower-cased). */
export function headCommitment(input: HeadCommitmentInput): JsonObject {
  const root = (s: string | undefined | null) => String(s ?? '').trim().toLowerCase();
  return {
    corridor_id: String(input.corridor_id ?? '').trim(),
    genesis_root: root(input.genesis_root),
    receipt_count: Number(input.receipt_count || 0),
    final_state_root: root(input.final_state_root),
    mmr_root: root(input.mmr_root),
  };
}

/** Timestamp-independent identity of a chain head: what watchers attest and compare. */
export function headCommitmentDigest(input: HeadCommitmentInput): string {
  return digestOf(headCommitment(input));
}

export const CHECKPOINT_TYPE = 'MSEZCorridorStateCheckpoint';
export const CHECKPOINT_MMR_TYPE = 'MSEZReceiptMMR';

export interface CheckpointInput {
  corridor_id: string;
  timestamp: string;
  genesis_root: string;
  final_state_root: string;
  receipt_count: number;
  lawpack_digest_set: unknown[];
  ruleset_digest_set: unknown[];
  mmr: { size: number; root: string; peaks: { height: number; hash: string }[] };
}

/** An unsigned checkpoint (sign it with `addProof`; co-signatures do not change its digest). */
export function buildCheckpoint(input: CheckpointInput): JsonObject {
  return {
    type: CHECKPOINT_TYPE,
    corridor_id: input.corridor_id,
    timestamp: input.timestamp,
    genesis_root: input.genesis_root,
    final_state_root: input.final_state_root,
    receipt_count: input.receipt_count,
    lawpack_digest_set: normalizeDigestSet(input.lawpack_digest_set),
    ruleset_digest_set: normalizeDigestSet(input.ruleset_digest_set),
    mmr: {
      type: CHECKPOINT_MMR_TYPE,
      algorithm: 'sha256',
      size: input.mmr.size,
      root: input.mmr.root,
      peaks: input.mmr.peaks.map((p) => ({ height: p.height, hash: p.hash })),
    },
  };
}

/** `SHA256(canonical(checkpoint − proof))`, the digest watchers and inclusion proofs refer to. */
export function checkpointDigest(checkpoint: JsonObject): string {
  return digestOf(withoutKeys(checkpoint, 'proof'));
}
