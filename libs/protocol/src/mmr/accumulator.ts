import { ProtocolError } from '../errors';
import { mmrHashFromInput, mmrLeafHashFromHex, mmrNodeHashBytes } from './hash';
import { bagPeakHashes, describeHeights, parsePeakList, peakHeightsMatchSize } from './peaks';
import { MMR_MAX_SIZE, mmrNodeCount, mmrPeakHeights, toSafeInteger } from './shape';
import type { MmrPeak, MmrRoot } from './types';

/** Called for every node an append creates, in post-order position order (leaf first, then merged parents). */
export type MmrNodeSink = (position: number, hash: Buffer, height: number) => void;

export interface MmrAccumulatorOptions {
  /** Receives each new node (e.g. to persist it in a node store keyed by position). */
  onNode?: MmrNodeSink;
}

/**
 * Incremental MMR: keeps only the peaks (O(log n) memory), appends in amortized O(1) hashes, and resumes from a
 * stored `(size, peaks)` without replaying the leaves.
 *
 * `append(x)`: a string is a receipt `next_root` (hex, leaf-hashed here); a `Uint8Array` is an already computed
 * 32-byte LEAF hash. Use `appendNextRoot` / `appendLeafHash` to say it explicitly.
 */
export class MmrAccumulator {
  private readonly heights: number[] = [];
  private readonly hashes: Buffer[] = [];
  private leaves = 0;
  private nodes = 0;
  private cachedRoot: Buffer | null | undefined = undefined;
  private readonly onNode: MmrNodeSink | undefined;

  constructor(options: MmrAccumulatorOptions = {}) {
    this.onNode = options.onNode;
  }

  /**
   * Resumes from a stored commitment. The peak list must be exactly the binary decomposition of `size` (count and
   * heights) with valid hashes; otherwise `ProtocolError('invalid-checkpoint')`.
   */
  static fromPeaks(size: number, peaks: readonly MmrPeak[], options: MmrAccumulatorOptions = {}): MmrAccumulator {
    const n = toSafeInteger(size);
    if (n === null || n < 0 || n > MMR_MAX_SIZE) throw new RangeError(`size must be an integer in [0, 2^52], got ${String(size)}`);
    const parsed = parsePeakList(peaks);
    if (!parsed.ok) throw new ProtocolError('invalid-checkpoint', `MMR peaks: ${parsed.detail}`);
    if (!peakHeightsMatchSize(parsed.peaks, n)) {
      const want = describeHeights(mmrPeakHeights(n).map((height) => ({ height })));
      throw new ProtocolError(
        'invalid-checkpoint',
        `MMR peaks ${describeHeights(parsed.peaks)} do not match size ${n} (needs heights ${want})`,
      );
    }
    const acc = new MmrAccumulator(options);
    for (const p of parsed.peaks) {
      acc.heights.push(p.height);
      acc.hashes.push(p.hash);
    }
    acc.leaves = n;
    acc.nodes = mmrNodeCount(n);
    return acc;
  }

  /** Number of leaves. */
  get size(): number {
    return this.leaves;
  }

  /** Number of nodes (= the post-order position the next leaf will take). */
  get nodeCount(): number {
    return this.nodes;
  }

  /** Bagged root as lowercase hex; `""` when empty. */
  get root(): string {
    const r = this.rootBytes;
    return r === null ? '' : r.toString('hex');
  }

  /** Bagged root as bytes (a copy); `null` when empty. */
  get rootBytes(): Buffer | null {
    if (this.cachedRoot === undefined) this.cachedRoot = bagPeakHashes(this.hashes);
    return this.cachedRoot === null ? null : Buffer.from(this.cachedRoot);
  }

  /** Peaks left to right, heights strictly decreasing. */
  get peaks(): MmrPeak[] {
    return this.heights.map((height, i) => ({ height, hash: this.hashes[i]!.toString('hex') }));
  }

  /** `{size, root, peaks}`, the shape of `mmrRootFromNextRoots`. */
  snapshot(): MmrRoot {
    return { size: this.leaves, root: this.root, peaks: this.peaks };
  }

  /** An independent copy (same state, no node sink unless given). */
  clone(options: MmrAccumulatorOptions = {}): MmrAccumulator {
    const c = new MmrAccumulator(options);
    c.heights.push(...this.heights);
    c.hashes.push(...this.hashes);
    c.leaves = this.leaves;
    c.nodes = this.nodes;
    c.cachedRoot = this.cachedRoot;
    return c;
  }

  /** Appends a receipt next_root (hex string) or a 32-byte leaf hash (Uint8Array). Returns the leaf index. */
  append(item: string | Uint8Array): number {
    if (typeof item === 'string') return this.appendNextRoot(item);
    return this.appendLeafHash(item);
  }

  /** Appends leaf = SHA256(0x00 || next_root). Returns the leaf index. */
  appendNextRoot(nextRootHex: string): number {
    return this.pushLeaf(mmrLeafHashFromHex(nextRootHex));
  }

  /** Appends an already computed leaf hash (64-hex or 32 bytes). Returns the leaf index. */
  appendLeafHash(leafHash: string | Uint8Array): number {
    return this.pushLeaf(mmrHashFromInput(leafHash, 'leaf hash'));
  }

  private pushLeaf(leaf: Buffer): number {
    if (this.leaves >= MMR_MAX_SIZE) throw new RangeError('MMR is full');
    const heights = this.heights;
    const hashes = this.hashes;
    const sink = this.onNode;
    if (sink !== undefined) sink(this.nodes, leaf, 0);
    this.nodes += 1;
    let cur = leaf;
    let h = 0;
    while (heights.length > 0 && heights[heights.length - 1] === h) {
      heights.pop();
      cur = mmrNodeHashBytes(hashes.pop()!, cur);
      h += 1;
      if (sink !== undefined) sink(this.nodes, cur, h);
      this.nodes += 1;
    }
    heights.push(h);
    hashes.push(cur);
    this.cachedRoot = undefined;
    const index = this.leaves;
    this.leaves = index + 1;
    return index;
  }
}
