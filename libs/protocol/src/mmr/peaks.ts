import { ProtocolError } from '../errors';
import { mmrHashFromInput, mmrLeafHashFromHex, mmrNodeHashBytes, normalizeMmrHex } from './hash';
import { MMR_MAX_SIZE, mmrPeakHeights, toSafeInteger } from './shape';
import type { MmrPeak, MmrRoot, MmrVerifyResult } from './types';

/** A peak with its hash as bytes (internal form). */
export interface MmrPeakBytes {
  height: number;
  hash: Buffer;
}

/** Bagging, right to left: root = last peak; for each earlier peak p: root = node(p, root). `null` when empty. */
export function bagPeakHashes(hashes: readonly Buffer[]): Buffer | null {
  const n = hashes.length;
  if (n === 0) return null;
  let bag = hashes[n - 1]!;
  for (let i = n - 2; i >= 0; i--) bag = mmrNodeHashBytes(hashes[i]!, bag);
  return bag;
}

export function peaksToJson(peaks: readonly MmrPeakBytes[]): MmrPeak[] {
  return peaks.map((p) => ({ height: p.height, hash: p.hash.toString('hex') }));
}

/** Why a JSON peak list is unusable, or the parsed peaks. */
export type ParsedPeaks = { ok: true; peaks: MmrPeakBytes[] } | { ok: false; detail: string };

/** Parses `[{height, hash}]` (heights non-negative integers, hashes 64-hex trimmed/case-insensitive). */
export function parsePeakList(value: unknown): ParsedPeaks {
  if (!Array.isArray(value)) return { ok: false, detail: 'peaks is not a list' };
  const peaks: MmrPeakBytes[] = [];
  for (let i = 0; i < value.length; i++) {
    const p: unknown = value[i];
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return { ok: false, detail: `peaks[${i}] is not an object` };
    const rec = p as Record<string, unknown>;
    const height = toSafeInteger(rec.height);
    if (height === null || height < 0) return { ok: false, detail: `peaks[${i}].height is not a non-negative integer` };
    const hex = normalizeMmrHex(rec.hash);
    if (hex === null) return { ok: false, detail: `peaks[${i}].hash is not 64 hex characters` };
    peaks.push({ height, hash: Buffer.from(hex, 'hex') });
  }
  return { ok: true, peaks };
}

/** True when the peak heights are exactly the binary decomposition of `size`. */
export function peakHeightsMatchSize(peaks: readonly { height: number }[], size: number): boolean {
  const expected = mmrPeakHeights(size);
  if (expected.length !== peaks.length) return false;
  for (let i = 0; i < expected.length; i++) if (peaks[i]!.height !== expected[i]) return false;
  return true;
}

export function describeHeights(peaks: readonly { height: number }[]): string {
  return `[${peaks.map((p) => p.height).join(',')}]`;
}

function parsePeaksOrThrow(peaks: readonly MmrPeak[], what: string): MmrPeakBytes[] {
  const parsed = parsePeakList(peaks);
  if (!parsed.ok) throw new ProtocolError('invalid-digest', `${what}: ${parsed.detail}`);
  return parsed.peaks;
}

function pushLeaf(heights: number[], hashes: Buffer[], leaf: Buffer): void {
  let cur = leaf;
  let h = 0;
  while (heights.length > 0 && heights[heights.length - 1] === h) {
    heights.pop();
    cur = mmrNodeHashBytes(hashes.pop()!, cur);
    h += 1;
  }
  heights.push(h);
  hashes.push(cur);
}

/**
 * Reference `build_peaks(leaf_hashes)`: push the leaf hashes (already domain-separated, 64-hex or 32 bytes) left to
 * right, merging equal heights.
 */
export function buildPeaks(leafHashes: readonly (string | Uint8Array)[]): MmrPeak[] {
  const heights: number[] = [];
  const hashes: Buffer[] = [];
  for (let i = 0; i < leafHashes.length; i++) pushLeaf(heights, hashes, mmrHashFromInput(leafHashes[i]!, `leaf_hashes[${i}]`));
  return heights.map((height, i) => ({ height, hash: hashes[i]!.toString('hex') }));
}

/** Reference `bag_peaks(peaks)`: the root committed by a peak list; `""` for no peaks. */
export function bagPeaks(peaks: readonly MmrPeak[]): string {
  const bag = bagPeakHashes(parsePeaksOrThrow(peaks, 'bagPeaks').map((p) => p.hash));
  return bag === null ? '' : bag.toString('hex');
}

/** Reference `mmr_root_from_next_roots(next_roots)`: `{size, root, peaks}` of the MMR over the leaf hashes. */
export function mmrRootFromNextRoots(nextRoots: readonly string[]): MmrRoot {
  if (nextRoots.length > MMR_MAX_SIZE) throw new RangeError('too many leaves');
  const heights: number[] = [];
  const hashes: Buffer[] = [];
  for (let i = 0; i < nextRoots.length; i++) pushLeaf(heights, hashes, mmrLeafHashFromHex(nextRoots[i]));
  const bag = bagPeakHashes(hashes);
  return {
    size: nextRoots.length,
    root: bag === null ? '' : bag.toString('hex'),
    peaks: heights.map((height, i) => ({ height, hash: hashes[i]!.toString('hex') })),
  };
}

/**
 * Reference `append_peaks(existing_peaks, new_leaf_hashes)`: continue the stack merge from an existing peak list with
 * more LEAF HASHES (not next_roots: hash them with `mmrLeafHash` first; the reference's checkpoint bootstrap forgets
 * to, see spec/mmr.md). Throws when the resulting heights are not strictly decreasing, as the reference does.
 * Prefer `MmrAccumulator.fromPeaks`, which also checks the peaks against the size.
 */
export function appendPeaks(existingPeaks: readonly MmrPeak[], newLeafHashes: readonly (string | Uint8Array)[]): MmrPeak[] {
  const start = parsePeaksOrThrow(existingPeaks, 'appendPeaks');
  const heights = start.map((p) => p.height);
  const hashes = start.map((p) => p.hash);
  for (let i = 0; i < newLeafHashes.length; i++) {
    pushLeaf(heights, hashes, mmrHashFromInput(newLeafHashes[i]!, `new_leaf_hashes[${i}]`));
  }
  for (let i = 1; i < heights.length; i++) {
    if (heights[i]! >= heights[i - 1]!) {
      throw new ProtocolError(
        'invalid-checkpoint',
        `peak merging error: non-decreasing heights at positions ${i - 1},${i}: ${heights[i - 1]} -> ${heights[i]}`,
      );
    }
  }
  return heights.map((height, i) => ({ height, hash: hashes[i]!.toString('hex') }));
}

export type MmrPeaksFailure =
  | 'not_an_object'
  | 'size_not_integer'
  | 'size_out_of_range'
  | 'peaks_invalid'
  | 'peaks_size_mismatch'
  | 'root_not_hex'
  | 'root_mismatch';

/**
 * Checks an `{size, root, peaks}` commitment (e.g. a checkpoint's `mmr`): the peak list must be exactly the binary
 * decomposition of `size` and bag to `root`. Size 0 means no peaks and root `""`.
 */
export function verifyMmrPeaks(mmr: unknown): MmrVerifyResult<MmrPeaksFailure> {
  if (typeof mmr !== 'object' || mmr === null || Array.isArray(mmr)) {
    return { valid: false, reason: 'not_an_object', detail: 'MMR commitment must be a JSON object' };
  }
  const rec = mmr as Record<string, unknown>;
  const size = toSafeInteger(rec.size);
  if (size === null) return { valid: false, reason: 'size_not_integer', detail: 'size is not an integer' };
  if (size < 0 || size > MMR_MAX_SIZE) return { valid: false, reason: 'size_out_of_range', detail: `size ${size} out of range` };
  const parsed = parsePeakList(rec.peaks);
  if (!parsed.ok) return { valid: false, reason: 'peaks_invalid', detail: parsed.detail };
  if (!peakHeightsMatchSize(parsed.peaks, size)) {
    return {
      valid: false,
      reason: 'peaks_size_mismatch',
      detail: `peak heights ${describeHeights(parsed.peaks)} but size ${size} needs ${describeHeights(mmrPeakHeights(size).map((height) => ({ height })))}`,
    };
  }
  if (size === 0) {
    return rec.root === '' ? { valid: true } : { valid: false, reason: 'root_mismatch', detail: 'the empty MMR has root ""' };
  }
  const root = normalizeMmrHex(rec.root);
  if (root === null) return { valid: false, reason: 'root_not_hex', detail: 'root is not 64 hex characters' };
  const bag = bagPeakHashes(parsed.peaks.map((p) => p.hash))!;
  if (bag.toString('hex') !== root) return { valid: false, reason: 'root_mismatch', detail: 'peaks do not bag to root' };
  return { valid: true };
}
