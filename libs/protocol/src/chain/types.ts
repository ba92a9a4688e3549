import type { JsonObject, JsonValue } from '../json/json-value';
import type { MmrPeak } from '../mmr';
import type { TrustAnchor } from '../corridor/module';

/**
 * Per-receipt checks of chain verification, in the order they run (the reference's order). The first one a
 * receipt fails is reported, with its path.
 */
export const RECEIPT_CHECKS = [
  'parse',
  'canonical-bytes',
  'schema',
  'next-root',
  'ruleset-digest-set',
  'lawpack-digest-set',
  'transition-type-registry',
  'proof',
  'trust-anchor',
] as const;
export type ReceiptCheck = (typeof RECEIPT_CHECKS)[number];

/** Chain-level checks (after every receipt passed its own). */
export const CHAIN_CHECKS = [
  'no-receipts',
  'trust-anchors',
  'agreement',
  'fork-resolution',
  'checkpoint-parse',
  'checkpoint-canonical-bytes',
  'checkpoint-schema',
  'checkpoint-proof',
  'checkpoint-corridor',
  'checkpoint-genesis',
  'checkpoint-mmr',
  'fork',
  'fork-resolution-unknown-candidate',
  'missing-genesis-receipt',
  'genesis-mismatch',
  'checkpoint-disconnected',
] as const;
export type ChainLevelCheck = (typeof CHAIN_CHECKS)[number];
export type ChainCheck = ReceiptCheck | ChainLevelCheck;

export interface ChainIssue {
  check: ChainCheck;
  message: string;
  /** The receipt, checkpoint or resolution file concerned, when there is one. */
  path?: string;
}

export type ChainWarningCode = 'fork-resolved' | 'orphans-at-head' | 'unreachable-beyond-head' | 'checkpoint-proof';

export interface ChainWarning {
  code: ChainWarningCode;
  message: string;
}

/** A receipt as handed to the verifier: its file text (preferred: canonical-bytes checks need it) or its value. */
export interface ReceiptSource {
  path: string;
  text?: string;
  value?: JsonValue;
}

/** A fork resolution: a raw `MSEZCorridorForkResolution` or a credential whose subject is one. */
export interface ForkResolutionSource {
  path: string;
  text?: string;
  value?: JsonValue;
}

export interface CheckpointSource {
  path?: string;
  text?: string;
  value?: JsonValue;
}

/** What a corridor's receipts must match; see `chainExpectations(module)`. */
export interface ChainExpectations {
  corridor_id: string;
  genesis_root: string;
  ruleset_digest_set: string[];
  lawpack_digest_set: string[];
  /** The registry digest the corridor pins, or null. */
  transition_type_registry_digest_sha256: string | null;
  trust_anchors?: TrustAnchor[];
  /** From the agreement summary: per-role receipt and checkpoint signing thresholds and the participants' roles. */
  receipt_signing_thresholds?: JsonObject[];
  checkpoint_signing_thresholds?: JsonObject[];
  role_by_did?: Record<string, string>;
  /** Agreement evaluation errors: they fail verification when signing thresholds are enforced. */
  agreement_errors?: string[];
}

export interface ChainOptions {
  /** Each receipt (and the bootstrap checkpoint) given as text must be exactly its canonical JSON, optionally + LF. */
  checkCanonicalBytes?: boolean;
  /** Each receipt needs a valid signature from a trust anchor allowed `corridor_receipt` (or `*`). */
  enforceTrustAnchors?: boolean;
  /** A receipt's `transition_type_registry_digest_sha256`, when present, must be the corridor's. */
  enforceTransitionTypes?: boolean;
  /** Drop candidate receipts whose distinct valid signers do not meet every receipt-signing threshold. */
  enforceReceiptThreshold?: boolean;
  /** Start from this signed checkpoint instead of genesis. */
  fromCheckpoint?: CheckpointSource;
  forkResolutions?: ForkResolutionSource[];
  /** Refuse raw (unsigned) fork resolutions; credentials must carry a valid proof. */
  requireSignedForkResolutions?: boolean;
  /**
   * Signing keys the corridor rotated (in order): for trust anchors and thresholds, a receipt's signer counts as the
   * participant whose key it was at the receipt's sequence; a previous key signing at or after its rotation counts
   * for nobody. (Ours, spec/security.md §Keys: the reference has no key rotation.)
   */
  keyRotations?: readonly KeyRotationRecord[];
}

export interface KeyRotationRecord {
  previous_key: string;
  new_key: string;
  effective_from_sequence: number;
}

/** The MMR of a chain result (the reference labels it `sha256-mmr`; checkpoints use `MSEZReceiptMMR`). */
export interface ChainMmr {
  type: 'sha256-mmr';
  algorithm: 'sha256';
  size: number;
  root: string;
  peaks: MmrPeak[];
}

export interface CorridorChainResult {
  corridor_id: string;
  genesis_root: string;
  /** The canonical chain's receipts from the start point (genesis or checkpoint head), duplicates merged. */
  receipts: JsonObject[];
  receipt_count: number;
  final_state_root: string;
  mmr: ChainMmr;
  transition_type_registry_digest_sha256: string | null;
}

/** A fork point: several receipts at one (sequence, prev_root). */
export interface ForkPoint {
  sequence: number;
  prev_root: string;
  candidates: string[];
  chosen_next_root?: string;
  resolved: boolean;
}

export interface ChainVerification {
  valid: boolean;
  result: CorridorChainResult | null;
  forks: ForkPoint[];
  warnings: ChainWarning[];
  errors: ChainIssue[];
}
