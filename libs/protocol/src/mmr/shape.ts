/**
 * The shape of an MMR as a function of its size, and the post-order node numbering used to store nodes.
 *
 * Peaks: an MMR of `size` leaves has one perfect binary tree per set bit of `size`, left to right, heights strictly
 * decreasing (the binary decomposition of `size`). A peak of height h covers 2^h consecutive leaves starting at a
 * multiple of 2^h.
 *
 * Node positions (0-based, post-order, the order in which appending creates nodes): leaf i sits at
 * `2i - popcount(i)`; a perfect subtree of height h over leaves [a, a + 2^h) has its root right after the ancestors of
 * its last leaf: `leafPosition(a + 2^h - 1) + h`. An MMR of `size` leaves has `2*size - popcount(size)` nodes, and
 * appending never moves or changes an existing node, so one append-only node store serves every past size.
 *
 * All arithmetic is exact on JavaScript numbers: sizes and leaf indices up to 2^52 (node positions must stay below
 * 2^53).
 */

/** Largest supported MMR size (node positions stay exact safe integers). */
export const MMR_MAX_SIZE = 2 ** 52;

const TWO_32 = 2 ** 32;

function popcount32(v: number): number {
  let x = v >>> 0;
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Number of set bits of a non-negative safe integer. */
export function popcount(n: number): number {
  if (n < TWO_32) return popcount32(n);
  return popcount32(n % TWO_32) + popcount32(Math.floor(n / TWO_32));
}

/** Index of the highest set bit of a positive safe integer (floor(log2 n)). */
export function highestBit(n: number): number {
  if (n < TWO_32) return 31 - Math.clz32(n);
  return 63 - Math.clz32(Math.floor(n / TWO_32));
}

/** Number of trailing zero bits of a positive safe integer. */
export function trailingZeros(n: number): number {
  const lo = n % TWO_32;
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  const hi = Math.floor(n / TWO_32);
  return 32 + (31 - Math.clz32(hi & -hi));
}

function assertSize(size: number, what = 'size'): void {
  if (!Number.isSafeInteger(size) || size < 0 || size > MMR_MAX_SIZE) {
    throw new RangeError(`${what} must be an integer in [0, 2^52], got ${String(size)}`);
  }
}

/** One peak slot of the decomposition: its height, first leaf, and leaf count (2^height). */
export interface MmrPeakSlot {
  height: number;
  start: number;
  leafCount: number;
}

/** Reference `_peak_plan`: the peaks of an MMR of `size` leaves, left to right. */
export function mmrPeakPlan(size: number): MmrPeakSlot[] {
  assertSize(size);
  const out: MmrPeakSlot[] = [];
  let rest = size;
  let start = 0;
  while (rest > 0) {
    const height = highestBit(rest);
    const leafCount = 2 ** height;
    out.push({ height, start, leafCount });
    start += leafCount;
    rest -= leafCount;
  }
  return out;
}

/** Heights of the peaks of an MMR of `size` leaves (set bits of `size`, high to low). */
export function mmrPeakHeights(size: number): number[] {
  return mmrPeakPlan(size).map((p) => p.height);
}

/** Reference `_find_peak_for_leaf`: which peak holds `leafIndex` in an MMR of `size` leaves. */
export function mmrFindPeakForLeaf(
  size: number,
  leafIndex: number,
): { peakIndex: number; peakStart: number; peakHeight: number } {
  assertSize(size);
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= size) {
    throw new RangeError(`leaf_index out of range: ${String(leafIndex)} (size ${size})`);
  }
  let rest = size;
  let start = 0;
  let peakIndex = 0;
  for (;;) {
    const peakHeight = highestBit(rest);
    const leafCount = 2 ** peakHeight;
    if (leafIndex < start + leafCount) return { peakIndex, peakStart: start, peakHeight };
    start += leafCount;
    rest -= leafCount;
    peakIndex += 1;
  }
}

/** Total number of nodes (leaves and internal nodes) of an MMR of `size` leaves: 2*size - popcount(size). */
export function mmrNodeCount(size: number): number {
  assertSize(size);
  return 2 * size - popcount(size);
}

/** Post-order position of leaf `leafIndex`: 2*i - popcount(i). */
export function mmrLeafPosition(leafIndex: number): number {
  if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= MMR_MAX_SIZE) {
    throw new RangeError(`leaf index must be an integer in [0, 2^52), got ${String(leafIndex)}`);
  }
  return 2 * leafIndex - popcount(leafIndex);
}

/**
 * Post-order position of the root of the perfect subtree of height `height` over leaves
 * [firstLeaf, firstLeaf + 2^height); `firstLeaf` must be a multiple of 2^height.
 */
export function mmrNodePosition(height: number, firstLeaf: number): number {
  if (!Number.isSafeInteger(height) || height < 0 || height > 52) {
    throw new RangeError(`height must be an integer in [0, 52], got ${String(height)}`);
  }
  const span = 2 ** height;
  if (!Number.isSafeInteger(firstLeaf) || firstLeaf < 0 || firstLeaf % span !== 0) {
    throw new RangeError(`first leaf ${String(firstLeaf)} is not aligned to 2^${height}`);
  }
  return mmrLeafPosition(firstLeaf + span - 1) + height;
}

/**
 * A JSON integer as a safe JS number: a safe-integer `number`, or a `bigint` in the safe range (parsers that keep
 * big integers exact may hand us one). Anything else (strings, fractions, booleans, null) gives `null`: unlike the
 * reference's `int(...)` we do not coerce "8", 8.9 or true.
 */
export function toSafeInteger(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : null;
  }
  return null;
}

/** The peaks of an MMR of `size` leaves with the post-order positions of their roots. */
export function mmrPeakPositions(size: number): { height: number; start: number; position: number }[] {
  return mmrPeakPlan(size).map((p) => ({ height: p.height, start: p.start, position: mmrNodePosition(p.height, p.start) }));
}
