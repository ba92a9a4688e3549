import { MmrAccumulator } from './accumulator';
import { mmrNodeHashBytes, normalizeMmrHex } from './hash';
import { readNode } from './nodes';
import { bagPeakHashes, describeHeights, parsePeakList, peakHeightsMatchSize } from './peaks';
import {
  MMR_MAX_SIZE,
  highestBit,
  mmrNodePosition,
  mmrPeakHeights,
  mmrPeakPositions,
  toSafeInteger,
  trailingZeros,
} from './shape';
import { MMR_CONSISTENCY_PROOF_TYPE } from './types';
import type { MmrConsistencyProof, MmrNodeLookup, MmrVerifyResult } from './types';

/**
 * Consistency proofs: the MMR of `new_size` leaves is an append-only extension of the MMR of `old_size` leaves
 * (1 <= old_size <= new_size). Format and argument in spec/mmr.md.
 *
 * The appended leaves [old_size, new_size) are split greedily, left to right, into aligned perfect subtrees: at
 * position `pos` the next block has height min(trailingZeros(pos), floor(log2(new_size - pos))). Pushing those
 * block roots onto the old peaks with the ordinary stack merge yields exactly the peaks of the new MMR, so the proof
 * is the old peaks plus the block roots (`path`).
 */

/** Stable failure codes of `verifyConsistencyProof`, in the order the checks run. */
export const MMR_CONSISTENCY_FAILURES = [
  'not_an_object',
  'wrong_type',
  'old_size_not_integer',
  'new_size_not_integer',
  'old_size_out_of_range',
  'new_size_out_of_range',
  'new_size_less_than_old_size',
  'old_root_not_hex',
  'new_root_not_hex',
  'trusted_old_size_mismatch',
  'trusted_old_root_mismatch',
  'trusted_new_size_mismatch',
  'trusted_new_root_mismatch',
  'old_peaks_invalid',
  'old_peaks_size_mismatch',
  'old_root_mismatch',
  'path_not_list',
  'path_length_mismatch',
  'path_entry_invalid',
  'path_height_mismatch',
  'new_root_mismatch',
] as const;

export type MmrConsistencyFailure = (typeof MMR_CONSISTENCY_FAILURES)[number];

/** What the verifier already trusts (from signed checkpoints); every given value must equal the proof's. */
export interface MmrConsistencyTrust {
  oldSize?: number;
  oldRoot?: string;
  newSize?: number;
  newRoot?: string;
}

/** Which stored nodes a consistency proof from `oldSize` to `newSize` needs. */
export interface MmrConsistencyPlan {
  oldSize: number;
  newSize: number;
  oldPeaks: { position: number; height: number; start: number }[];
  path: { position: number; height: number; start: number }[];
  newPeaks: { position: number; height: number; start: number }[];
  /** Every position above, without duplicates (for one batched read from a store). */
  positions: number[];
}

/** The aligned blocks covering leaves [oldSize, newSize), left to right (oldSize >= 1). */
function appendedBlocks(oldSize: number, newSize: number): { height: number; start: number }[] {
  const out: { height: number; start: number }[] = [];
  let pos = oldSize;
  while (pos < newSize) {
    const height = Math.min(trailingZeros(pos), highestBit(newSize - pos));
    out.push({ height, start: pos });
    pos += 2 ** height;
  }
  return out;
}

function assertSizes(oldSize: number, newSize: number): void {
  if (!Number.isSafeInteger(newSize) || newSize < 1 || newSize > MMR_MAX_SIZE) {
    throw new RangeError(`new size must be an integer in [1, 2^52], got ${String(newSize)}`);
  }
  if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > newSize) {
    throw new RangeError(
      `old size must be an integer in [1, ${newSize}], got ${String(oldSize)} (size 0 has no root to be consistent with)`,
    );
  }
}

/** Plans a consistency proof: pure arithmetic on positions, no hashing. */
export function planConsistencyProof(oldSize: number, newSize: number): MmrConsistencyPlan {
  assertSizes(oldSize, newSize);
  const oldPeaks = mmrPeakPositions(oldSize);
  const path = appendedBlocks(oldSize, newSize).map((b) => ({ ...b, position: mmrNodePosition(b.height, b.start) }));
  const newPeaks = mmrPeakPositions(newSize);
  const positions = [...new Set([...oldPeaks, ...path, ...newPeaks].map((x) => x.position))];
  return { oldSize, newSize, oldPeaks, path, newPeaks, positions };
}

/** Pushes block roots onto a peak stack with the append merge rule (mutates the arrays). */
function mergeBlocks(heights: number[], hashes: Buffer[], blocks: readonly { height: number; hash: Buffer }[]): void {
  for (const b of blocks) {
    let cur = b.hash;
    let h = b.height;
    while (heights.length > 0 && heights[heights.length - 1] === h) {
      heights.pop();
      cur = mmrNodeHashBytes(hashes.pop()!, cur);
      h += 1;
    }
    heights.push(h);
    hashes.push(cur);
  }
}

/**
 * Builds a consistency proof from stored node hashes (O(log n) reads and hashes). Throws if a node is missing or the
 * store is inconsistent.
 */
export function buildConsistencyProofFromNodes(getNode: MmrNodeLookup, oldSize: number, newSize: number): MmrConsistencyProof {
  const plan = planConsistencyProof(oldSize, newSize);
  const oldHashes = plan.oldPeaks.map((p) => readNode(getNode, p.position));
  const blocks = plan.path.map((b) => ({ height: b.height, hash: readNode(getNode, b.position) }));
  const newHashes = plan.newPeaks.map((p) => readNode(getNode, p.position));
  const heights = plan.oldPeaks.map((p) => p.height);
  const derived = [...oldHashes];
  mergeBlocks(heights, derived, blocks);
  if (derived.length !== newHashes.length || derived.some((h, i) => !h.equals(newHashes[i]!))) {
    throw new Error(`MMR node store is inconsistent: size ${oldSize} does not extend to size ${newSize}`);
  }
  return {
    type: MMR_CONSISTENCY_PROOF_TYPE,
    old_size: oldSize,
    new_size: newSize,
    old_root: bagPeakHashes(oldHashes)!.toString('hex'),
    new_root: bagPeakHashes(newHashes)!.toString('hex'),
    old_peaks: plan.oldPeaks.map((p, i) => ({ height: p.height, hash: oldHashes[i]!.toString('hex') })),
    path: blocks.map((b) => ({ height: b.height, hash: b.hash.toString('hex') })),
  };
}

/**
 * Builds the proof that the MMR over all of `leaves` extends the MMR over its first `oldSize` leaves.
 * `leaves` is either all receipt next_roots (hex strings, leaf-hashed here) or all 32-byte leaf hashes
 * (Uint8Arrays), the same convention as `MmrAccumulator.append`. O(n) hashing.
 */
export function buildConsistencyProof(leaves: readonly string[] | readonly Uint8Array[], oldSize: number): MmrConsistencyProof {
  const items = leaves as readonly (string | Uint8Array)[];
  const allStrings = items.every((x) => typeof x === 'string');
  const allBytes = items.every((x) => x instanceof Uint8Array);
  if (!allStrings && !allBytes) {
    throw new TypeError('leaves must be all next_root hex strings or all 32-byte leaf hashes');
  }
  assertSizes(oldSize, items.length);
  const nodes: Buffer[] = [];
  const acc = new MmrAccumulator({ onNode: (_position, hash) => nodes.push(hash) });
  for (const x of items) acc.append(x);
  return buildConsistencyProofFromNodes((p) => nodes[p], oldSize, items.length);
}

function fail(reason: MmrConsistencyFailure, detail: string): MmrVerifyResult<MmrConsistencyFailure> {
  return { valid: false, reason, detail };
}

function heightsOf(size: number): string {
  return describeHeights(mmrPeakHeights(size).map((height) => ({ height })));
}

/**
 * Verifies a `CorridorMmrConsistencyProof`. Pass what you trust (sizes and roots of two signed checkpoints) in
 * `trusted`: a bagged root alone does not commit to the size. Never throws.
 */
export function verifyConsistencyProof(
  proof: unknown,
  trusted: MmrConsistencyTrust = {},
): MmrVerifyResult<MmrConsistencyFailure> {
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof)) {
    return fail('not_an_object', 'proof must be a JSON object');
  }
  const p = proof as Record<string, unknown>;
  if (p.type !== MMR_CONSISTENCY_PROOF_TYPE) return fail('wrong_type', `type must be "${MMR_CONSISTENCY_PROOF_TYPE}"`);

  const oldSize = toSafeInteger(p.old_size);
  if (oldSize === null) return fail('old_size_not_integer', 'old_size is not an integer');
  const newSize = toSafeInteger(p.new_size);
  if (newSize === null) return fail('new_size_not_integer', 'new_size is not an integer');
  if (oldSize < 1 || oldSize > MMR_MAX_SIZE) {
    return fail('old_size_out_of_range', `old_size ${oldSize} is not in [1, 2^52] (the empty MMR has no root to extend)`);
  }
  if (newSize > MMR_MAX_SIZE) return fail('new_size_out_of_range', `new_size ${newSize} is above 2^52`);
  if (newSize < oldSize) return fail('new_size_less_than_old_size', `new_size ${newSize} < old_size ${oldSize}`);
  const oldRoot = normalizeMmrHex(p.old_root);
  if (oldRoot === null) return fail('old_root_not_hex', 'old_root is not 64 hex characters');
  const newRoot = normalizeMmrHex(p.new_root);
  if (newRoot === null) return fail('new_root_not_hex', 'new_root is not 64 hex characters');

  if (trusted.oldSize !== undefined && trusted.oldSize !== oldSize) {
    return fail('trusted_old_size_mismatch', `proof old_size ${oldSize}, trusted ${String(trusted.oldSize)}`);
  }
  if (trusted.oldRoot !== undefined && normalizeMmrHex(trusted.oldRoot) !== oldRoot) {
    return fail('trusted_old_root_mismatch', 'proof old_root differs from the trusted old root');
  }
  if (trusted.newSize !== undefined && trusted.newSize !== newSize) {
    return fail('trusted_new_size_mismatch', `proof new_size ${newSize}, trusted ${String(trusted.newSize)}`);
  }
  if (trusted.newRoot !== undefined && normalizeMmrHex(trusted.newRoot) !== newRoot) {
    return fail('trusted_new_root_mismatch', 'proof new_root differs from the trusted new root');
  }

  const parsed = parsePeakList(p.old_peaks);
  if (!parsed.ok) return fail('old_peaks_invalid', `old_${parsed.detail}`);
  const oldPeaks = parsed.peaks;
  if (!peakHeightsMatchSize(oldPeaks, oldSize)) {
    return fail(
      'old_peaks_size_mismatch',
      `old peak heights ${describeHeights(oldPeaks)} are not the decomposition of old_size ${oldSize} ${heightsOf(oldSize)}`,
    );
  }
  const oldHashes = oldPeaks.map((pk) => pk.hash);
  if (bagPeakHashes(oldHashes)!.toString('hex') !== oldRoot) return fail('old_root_mismatch', 'old_peaks do not bag to old_root');

  if (!Array.isArray(p.path)) return fail('path_not_list', 'path is not a list');
  const path: unknown[] = p.path;
  const expected = appendedBlocks(oldSize, newSize);
  if (path.length !== expected.length) {
    return fail('path_length_mismatch', `path has ${path.length} entries, sizes ${oldSize} -> ${newSize} need ${expected.length}`);
  }
  const blocks: { height: number; hash: Buffer }[] = [];
  for (let i = 0; i < path.length; i++) {
    const e: unknown = path[i];
    if (typeof e !== 'object' || e === null || Array.isArray(e)) return fail('path_entry_invalid', `path[${i}] is not an object`);
    const rec = e as Record<string, unknown>;
    const height = toSafeInteger(rec.height);
    if (height === null) return fail('path_entry_invalid', `path[${i}].height is not an integer`);
    const hex = normalizeMmrHex(rec.hash);
    if (hex === null) return fail('path_entry_invalid', `path[${i}].hash is not 64 hex characters`);
    if (height !== expected[i]!.height) {
      return fail('path_height_mismatch', `path[${i}].height is ${height}, sizes ${oldSize} -> ${newSize} need ${expected[i]!.height}`);
    }
    blocks.push({ height, hash: Buffer.from(hex, 'hex') });
  }

  // Every height was fixed by (old_size, new_size) above, so the derived peaks are exactly the decomposition of
  // new_size (spec/mmr.md; tested exhaustively); only their hashes depend on the proof.
  const heights = oldPeaks.map((pk) => pk.height);
  const hashes = [...oldHashes];
  mergeBlocks(heights, hashes, blocks);
  if (bagPeakHashes(hashes)!.toString('hex') !== newRoot) return fail('new_root_mismatch', 'derived new peaks do not bag to new_root');
  return { valid: true };
}

