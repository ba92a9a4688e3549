import { isDigest, mmrLeafPosition, mmrPeakHeights, type MmrPeak } from '@corridor/protocol';
import { ChainIntegrityError } from '../port/errors';
import type { EventMetadata, StoredEvent } from '../port/event-store.port';

/**
 * Each stored receipt carries, in its event metadata (key `mmr`), the MMR right after it was appended:
 * - `size`: the number of receipts up to and including this one (= sequence + 1);
 * - `nodes`: the hashes of the nodes this append created, by height (the leaf, then each merge), so any node of
 *   the MMR is found in exactly one event and an inclusion or consistency proof costs O(log n) point reads;
 * - `root` and `peaks` (the peak hashes; heights follow from `size`): on the last receipt of every store append, so the
 *   stream's last event always has them and a writer resumes from it alone — O(1) at startup, no replay. (Other
 *   receipts leave them out: they would cost a bagging and ~log n hashes per receipt; the MMR at such a size is
 *   read from the peak nodes instead.)
 */
export interface ReceiptMmrMetadata {
  size: number;
  nodes: string[];
  root?: string;
  peaks?: string[];
}

export const MMR_METADATA_KEY = 'mmr';

/** The MMR metadata of a stored receipt, checked for shape (a malformed one is a `ChainIntegrityError`). */
export function mmrMetadataOf(event: StoredEvent): ReceiptMmrMetadata {
  const m = event.metadata?.[MMR_METADATA_KEY] as unknown as ReceiptMmrMetadata | undefined;
  const ok =
    !!m &&
    m.size === event.revision + 1 &&
    Array.isArray(m.nodes) &&
    m.nodes.length >= 1 &&
    m.nodes.every(isDigest) &&
    (m.peaks === undefined || (Array.isArray(m.peaks) && m.peaks.length === mmrPeakHeights(m.size).length && m.peaks.every(isDigest))) &&
    (m.root === undefined || isDigest(m.root)) &&
    (m.root === undefined) === (m.peaks === undefined);
  if (!ok) throw new ChainIntegrityError(event.stream, `event ${event.id} at revision ${event.revision} carries no valid MMR metadata`);
  return m;
}

export function toMetadata(m: ReceiptMmrMetadata, extra?: EventMetadata): EventMetadata {
  const mmr: EventMetadata = m.peaks ? { size: m.size, root: m.root!, peaks: m.peaks, nodes: m.nodes } : { size: m.size, nodes: m.nodes };
  return { ...(extra ?? {}), [MMR_METADATA_KEY]: mmr };
}

/** Heights of the peaks of an MMR of `size` leaves (the set bits of size, high to low). */
export function peakHeights(size: number): number[] {
  return mmrPeakHeights(size);
}

export function peaksWithHeights(size: number, hashes: readonly string[]): MmrPeak[] {
  const heights = mmrPeakHeights(size);
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
