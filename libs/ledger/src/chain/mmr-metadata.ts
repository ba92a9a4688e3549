import { mmrLeafPosition, type MmrPeak } from '@corridor/protocol';
import type { EventMetadata, StoredEvent } from '../port/event-store.port';

/**
 * Each stored receipt carries, in its event metadata, the MMR state right after it was appended:
 * - `peaks`: the peak hashes (heights follow from `size`), so a writer resumes a stream from its last event
 *   alone — O(1) at startup, no replay;
 * - `nodes`: the hashes of the nodes this append created, by height (the leaf, then each merge), so any node of
 *   the MMR is found in exactly one event and an inclusion or consistency proof costs O(log n) point reads.
 */
export interface ReceiptMmrMetadata {
  size: number;
  root: string;
  peaks: string[];
  nodes: string[];
}

export const MMR_METADATA_KEY = 'mmr';

export function mmrMetadataOf(event: StoredEvent): ReceiptMmrMetadata {
  const m = event.metadata?.[MMR_METADATA_KEY] as unknown as ReceiptMmrMetadata | undefined;
  if (!m || typeof m.size !== 'number' || !Array.isArray(m.peaks) || !Array.isArray(m.nodes)) {
    throw new Error(`event ${event.id} of ${event.stream} carries no MMR metadata`);
  }
  return m;
}

export function toMetadata(m: ReceiptMmrMetadata, extra?: EventMetadata): EventMetadata {
  return { ...(extra ?? {}), [MMR_METADATA_KEY]: { size: m.size, root: m.root, peaks: m.peaks, nodes: m.nodes } };
}

/** Heights of the peaks of an MMR of `size` leaves (the set bits of size, high to low). */
export function peakHeights(size: number): number[] {
  const heights: number[] = [];
  for (let h = 52; h >= 0; h--) if (Math.floor(size / 2 ** h) % 2 === 1) heights.push(h);
  return heights;
}

export function peaksWithHeights(size: number, hashes: readonly string[]): MmrPeak[] {
  const heights = peakHeights(size);
  if (heights.length !== hashes.length) throw new Error(`MMR metadata of size ${size} has ${hashes.length} peaks, expected ${heights.length}`);
  return heights.map((height, i) => ({ height, hash: hashes[i]! }));
}

/**
 * Which append created the node at post-order `position` with `height`: the leaf whose position is
 * `position − height` (leaf positions are strictly increasing, so a binary search finds it).
 */
export function creatingLeaf(position: number, height: number): number {
  const leafPos = position - height;
  let lo = 0;
  let hi = Math.max(1, leafPos);
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (mmrLeafPosition(mid) < leafPos) lo = mid + 1;
    else hi = mid;
  }
  if (mmrLeafPosition(lo) !== leafPos) throw new Error(`no leaf at MMR position ${leafPos}`);
  return lo;
}
