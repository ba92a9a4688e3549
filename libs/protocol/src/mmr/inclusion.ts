import { ProtocolError } from '../errors';
import { MmrAccumulator } from './accumulator';
import { mmrLeafHashFromHex, mmrNodeHashBytes, normalizeMmrHex } from './hash';
import { readNode } from './nodes';
import { bagPeakHashes, describeHeights, parsePeakList, peakHeightsMatchSize } from './peaks';
import {
  MMR_MAX_SIZE,
  mmrFindPeakForLeaf,
  mmrLeafPosition,
  mmrNodePosition,
  mmrPeakHeights,
  mmrPeakPositions,
  toSafeInteger,
} from './shape';
import type { MmrInclusionProof, MmrNodeLookup, MmrPathStep, MmrVerifyResult } from './types';

/**
 * Stable failure codes of `verifyInclusionProof`, in the order the checks run: the reference's order, plus four
 * checks the reference lacks (spec/mmr.md): `peaks_size_mismatch` (the peak list is bound to `size`),
 * `path_side_mismatch` (the path is bound to `leaf_index`), `peak_hash_mismatch` (the supplied peak of the leaf is
 * the folded one) and `computed_peak_root_mismatch` (the informational field, when present, is true).
 */
export const MMR_INCLUSION_FAILURES = [
  'not_an_object',
  'empty_proof',
  'size_not_integer',
  'leaf_index_not_integer',
  'peak_index_not_integer',
  'peak_height_not_integer',
  'size_out_of_range',
  'leaf_index_out_of_range',
  'receipt_next_root_not_hex',
  'root_not_hex',
  'leaf_hash_mismatch',
  'peaks_missing',
  'peak_entry_invalid',
  'peak_index_out_of_range',
  'peak_height_mismatch',
  'peak_position_mismatch',
  'peaks_size_mismatch',
  'path_not_list',
  'path_length_mismatch',
  'path_step_invalid',
  'path_side_mismatch',
  'root_mismatch',
  'peak_hash_mismatch',
  'computed_peak_root_mismatch',
] as const;

export type MmrInclusionFailure = (typeof MMR_INCLUSION_FAILURES)[number];

/** Which stored nodes an inclusion proof for `leafIndex` in an MMR of `size` leaves needs. */
export interface MmrInclusionPlan {
  size: number;
  leafIndex: number;
  peakIndex: number;
  peakHeight: number;
  peakStart: number;
  leafPosition: number;
  /** Siblings from the leaf up to its peak (`path` order). */
  path: { position: number; height: number; side: 'left' | 'right' }[];
  /** All peaks of the MMR, left to right. */
  peaks: { position: number; height: number }[];
  /** Every position above, without duplicates (for one batched read from a store). */
  positions: number[];
}

function assertSizeAndIndex(size: number, leafIndex: number): void {
  if (!Number.isSafeInteger(size) || size < 1 || size > MMR_MAX_SIZE) {
    throw new RangeError(`cannot build a proof for an MMR of size ${String(size)}`);
  }
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= size) {
    throw new RangeError(`leaf_index out of range: ${String(leafIndex)} (size ${size})`);
  }
}

/** Plans an inclusion proof: pure arithmetic on positions, no hashing (lets async stores fetch in one batch). */
export function planInclusionProof(size: number, leafIndex: number): MmrInclusionPlan {
  assertSizeAndIndex(size, leafIndex);
  const { peakIndex, peakStart, peakHeight } = mmrFindPeakForLeaf(size, leafIndex);
  const topDown: MmrInclusionPlan['path'] = [];
  let first = peakStart;
  for (let h = peakHeight; h > 0; h--) {
    const half = 2 ** (h - 1);
    if (leafIndex < first + half) {
      topDown.push({ position: mmrNodePosition(h - 1, first + half), height: h - 1, side: 'right' });
    } else {
      topDown.push({ position: mmrNodePosition(h - 1, first), height: h - 1, side: 'left' });
      first += half;
    }
  }
  const path = topDown.reverse();
  const peaks = mmrPeakPositions(size).map((p) => ({ position: p.position, height: p.height }));
  const leafPosition = mmrLeafPosition(leafIndex);
  const positions = [leafPosition, ...path.map((s) => s.position), ...peaks.map((p) => p.position)];
  return { size, leafIndex, peakIndex, peakHeight, peakStart, leafPosition, path, peaks, positions };
}

/**
 * Builds the reference-shaped inclusion proof from stored node hashes (O(log n) reads, O(log n) hashes), e.g. for an
 * MMR of millions of leaves kept by the event store. `receiptNextRoot` is the receipt's `next_root`; it must hash to
 * the stored leaf. Throws if a node is missing or the store is inconsistent.
 */
export function buildInclusionProofFromNodes(
  getNode: MmrNodeLookup,
  size: number,
  leafIndex: number,
  receiptNextRoot: string,
): MmrInclusionProof {
  const plan = planInclusionProof(size, leafIndex);
  const leafHash = mmrLeafHashFromHex(receiptNextRoot);
  const stored = readNode(getNode, plan.leafPosition);
  if (!stored.equals(leafHash)) {
    throw new ProtocolError('invalid-receipt', `receipt next_root does not hash to the MMR leaf at index ${leafIndex}`);
  }
  const path: MmrPathStep[] = [];
  let cur = leafHash;
  for (const step of plan.path) {
    const sib = readNode(getNode, step.position);
    cur = step.side === 'left' ? mmrNodeHashBytes(sib, cur) : mmrNodeHashBytes(cur, sib);
    path.push({ side: step.side, hash: sib.toString('hex') });
  }
  const peakHashes = plan.peaks.map((p) => readNode(getNode, p.position));
  if (!peakHashes[plan.peakIndex]!.equals(cur)) {
    throw new Error(`MMR node store is inconsistent: leaf ${leafIndex} does not fold to peak ${plan.peakIndex}`);
  }
  return {
    size,
    root: bagPeakHashes(peakHashes)!.toString('hex'),
    leaf_index: leafIndex,
    receipt_next_root: normalizeMmrHex(receiptNextRoot)!,
    leaf_hash: leafHash.toString('hex'),
    peak_index: plan.peakIndex,
    peak_height: plan.peakHeight,
    path,
    peaks: plan.peaks.map((p, i) => ({ height: p.height, hash: peakHashes[i]!.toString('hex') })),
    computed_peak_root: cur.toString('hex'),
  };
}

/** Reference `build_inclusion_proof(next_roots, leaf_index)`: O(n) hashing over the whole list. */
export function buildInclusionProof(nextRoots: readonly string[], leafIndex: number): MmrInclusionProof {
  assertSizeAndIndex(nextRoots.length, leafIndex);
  const nodes: Buffer[] = [];
  const acc = new MmrAccumulator({ onNode: (_position, hash) => nodes.push(hash) });
  for (const nr of nextRoots) acc.appendNextRoot(nr);
  return buildInclusionProofFromNodes((p) => nodes[p], nextRoots.length, leafIndex, nextRoots[leafIndex]!);
}

function fail(reason: MmrInclusionFailure, detail: string): MmrVerifyResult<MmrInclusionFailure> {
  return { valid: false, reason, detail };
}

/**
 * Reference `verify_inclusion_proof`, same order of checks, plus what the reference lacks: the peak list must be
 * exactly the binary decomposition of `size` (count and every height), each path side must be the one the leaf's
 * position dictates, and both the supplied peak of the leaf and `computed_peak_root` (optional) must be the folded
 * peak. Never throws.
 *
 * Note: an MMR root does not commit to the size by itself; callers must take `size` and `root` from a trusted
 * (signed) checkpoint and compare them with the proof's.
 */
export function verifyInclusionProof(proof: unknown): MmrVerifyResult<MmrInclusionFailure> {
  if (typeof proof !== 'object' || proof === null || Array.isArray(proof)) {
    return fail('not_an_object', 'proof must be a JSON object');
  }
  const p = proof as Record<string, unknown>;
  if (Object.keys(p).length === 0) return fail('empty_proof', 'proof is empty');

  const size = toSafeInteger(p.size);
  if (size === null) return fail('size_not_integer', 'size is not an integer');
  const leafIndex = toSafeInteger(p.leaf_index);
  if (leafIndex === null) return fail('leaf_index_not_integer', 'leaf_index is not an integer');
  const peakIndex = toSafeInteger(p.peak_index);
  if (peakIndex === null) return fail('peak_index_not_integer', 'peak_index is not an integer');
  const peakHeight = toSafeInteger(p.peak_height);
  if (peakHeight === null) return fail('peak_height_not_integer', 'peak_height is not an integer');

  if (size <= 0 || size > MMR_MAX_SIZE) return fail('size_out_of_range', `size ${size} is not in [1, 2^52]`);
  if (leafIndex < 0 || leafIndex >= size) {
    return fail('leaf_index_out_of_range', `leaf_index ${leafIndex} is not in [0, ${size})`);
  }
  const receiptNextRoot = normalizeMmrHex(p.receipt_next_root);
  if (receiptNextRoot === null) return fail('receipt_next_root_not_hex', 'receipt_next_root is not 64 hex characters');
  const root = normalizeMmrHex(p.root);
  if (root === null) return fail('root_not_hex', 'root is not 64 hex characters');

  const expectedLeaf = mmrLeafHashFromHex(receiptNextRoot);
  const leafHashHex = normalizeMmrHex(p.leaf_hash);
  if (leafHashHex === null || leafHashHex !== expectedLeaf.toString('hex')) {
    return fail('leaf_hash_mismatch', 'leaf_hash is not SHA256(0x00 || receipt_next_root)');
  }

  if (!Array.isArray(p.peaks) || p.peaks.length === 0) return fail('peaks_missing', 'peaks must be a non-empty list');
  const parsed = parsePeakList(p.peaks);
  if (!parsed.ok) return fail('peak_entry_invalid', parsed.detail);
  const peaks = parsed.peaks;

  if (peakIndex < 0 || peakIndex >= peaks.length) {
    return fail('peak_index_out_of_range', `peak_index ${peakIndex} is not in [0, ${peaks.length})`);
  }
  if (peaks[peakIndex]!.height !== peakHeight) {
    return fail('peak_height_mismatch', `peaks[${peakIndex}].height is ${peaks[peakIndex]!.height}, proof says ${peakHeight}`);
  }
  const expected = mmrFindPeakForLeaf(size, leafIndex);
  if (expected.peakIndex !== peakIndex || expected.peakHeight !== peakHeight) {
    return fail(
      'peak_position_mismatch',
      `size ${size} puts leaf ${leafIndex} in peak ${expected.peakIndex} of height ${expected.peakHeight}, proof says peak ${peakIndex} of height ${peakHeight}`,
    );
  }
  // The fix over the reference: the whole peak list is bound to `size`.
  if (!peakHeightsMatchSize(peaks, size)) {
    return fail(
      'peaks_size_mismatch',
      `peak heights ${describeHeights(peaks)} are not the decomposition of size ${size} ${describeHeights(mmrPeakHeights(size).map((height) => ({ height })))}`,
    );
  }

  const path = p.path;
  if (!Array.isArray(path)) return fail('path_not_list', 'path is not a list');
  if (path.length !== peakHeight) {
    return fail('path_length_mismatch', `path has ${path.length} steps, peak height is ${peakHeight}`);
  }
  let cur = expectedLeaf;
  // Position of the leaf inside its peak: bit i says whether the node at level i is a right child.
  let local = leafIndex - expected.peakStart;
  for (let i = 0; i < path.length; i++) {
    const step: unknown = path[i];
    if (typeof step !== 'object' || step === null || Array.isArray(step)) {
      return fail('path_step_invalid', `path[${i}] is not an object`);
    }
    const s = step as Record<string, unknown>;
    const side = typeof s.side === 'string' ? s.side.trim().toLowerCase() : '';
    if (side !== 'left' && side !== 'right') return fail('path_step_invalid', `path[${i}].side is not "left" or "right"`);
    const sib = normalizeMmrHex(s.hash);
    if (sib === null) return fail('path_step_invalid', `path[${i}].hash is not 64 hex characters`);
    const wanted = local % 2 === 1 ? 'left' : 'right';
    local = Math.floor(local / 2);
    if (side !== wanted) {
      return fail('path_side_mismatch', `path[${i}].side is "${side}", leaf ${leafIndex} needs "${wanted}" at that level`);
    }
    const sibBytes = Buffer.from(sib, 'hex');
    cur = side === 'left' ? mmrNodeHashBytes(sibBytes, cur) : mmrNodeHashBytes(cur, sibBytes);
  }

  const hashes = peaks.map((pk) => pk.hash);
  hashes[peakIndex] = cur;
  const computed = bagPeakHashes(hashes)!;
  if (computed.toString('hex') !== root) return fail('root_mismatch', 'the path and peaks do not bag to root');
  // The reference substitutes the folded peak and never looks at the supplied one; we require them to agree, so the
  // proof's peak list is exactly the MMR's peak list.
  if (!peaks[peakIndex]!.hash.equals(cur)) {
    return fail('peak_hash_mismatch', `peaks[${peakIndex}].hash is not the peak the path folds to`);
  }
  // Informational in the reference (never checked there); when present it must be the folded peak.
  if (p.computed_peak_root !== undefined && normalizeMmrHex(p.computed_peak_root) !== cur.toString('hex')) {
    return fail('computed_peak_root_mismatch', 'computed_peak_root is not the peak the path folds to');
  }
  return { valid: true };
}
