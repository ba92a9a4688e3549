/** JSON shapes of the MMR objects (field names and order as in the MSEZ reference `tools/mmr.py`). */

/** One peak: a perfect subtree of `height` (2^height leaves); `hash` is lowercase 64-hex. */
export interface MmrPeak {
  height: number;
  hash: string;
}

/** Reference `mmr_root_from_next_roots` result. `root` is `""` for the empty MMR. */
export interface MmrRoot {
  size: number;
  root: string;
  peaks: MmrPeak[];
}

/** One sibling on the way from a leaf to its peak; `side` says where the sibling sits. */
export interface MmrPathStep {
  side: 'left' | 'right';
  hash: string;
}

/** Reference `build_inclusion_proof` result. */
export interface MmrInclusionProof {
  size: number;
  root: string;
  leaf_index: number;
  receipt_next_root: string;
  leaf_hash: string;
  peak_index: number;
  peak_height: number;
  path: MmrPathStep[];
  peaks: MmrPeak[];
  computed_peak_root: string;
}

export const MMR_CONSISTENCY_PROOF_TYPE = 'CorridorMmrConsistencyProof';

/**
 * Proof that the MMR of `new_size` leaves is an append-only extension of the MMR of `old_size` leaves
 * (see spec/mmr.md). `path` lists, left to right, the roots of the perfect subtrees that cover the appended leaves
 * [old_size, new_size) in the greedy aligned decomposition; the verifier pushes them onto the old peaks exactly as
 * appends would.
 */
export interface MmrConsistencyProof {
  type: typeof MMR_CONSISTENCY_PROOF_TYPE;
  old_size: number;
  new_size: number;
  old_root: string;
  new_root: string;
  old_peaks: MmrPeak[];
  path: MmrPeak[];
}

/** Result of a verification; `reason` is a stable code (see the failure lists), `detail` is for humans. */
export interface MmrVerifyResult<R extends string = string> {
  valid: boolean;
  reason?: R;
  detail?: string;
}

/** Returns the stored hash of the node at a post-order position (see shape.ts), as bytes or hex. */
export type MmrNodeLookup = (position: number) => Uint8Array | string | null | undefined;
