import { MmrAccumulator } from './accumulator';
import { MMR_HASH_BYTES } from './hash';
import { buildConsistencyProofFromNodes } from './consistency';
import { buildInclusionProofFromNodes } from './inclusion';
import { bagPeakHashes } from './peaks';
import { mmrLeafPosition, mmrPeakPositions } from './shape';
import type { MmrConsistencyProof, MmrInclusionProof, MmrNodeLookup, MmrPeak, MmrRoot } from './types';

/**
 * In-memory append-only store of every MMR node, in post-order position order (32 bytes per node, one contiguous
 * buffer). It is the reference model of what a persistent event store keeps (a table `position -> hash` fed by
 * `MmrAccumulator`'s `onNode`): because appends never move or change nodes, it answers inclusion and consistency
 * proofs for the current size and for every past size in O(log n).
 */
export class MmrNodeLog {
  private store: Buffer;
  private count = 0;
  private readonly acc: MmrAccumulator;

  /** Node lookup bound to this log, usable with the `...FromNodes` builders. */
  readonly lookup: MmrNodeLookup = (position) => this.getNode(position);

  constructor(initialCapacityNodes = 1024) {
    this.store = Buffer.alloc(Math.max(1, Math.floor(initialCapacityNodes)) * MMR_HASH_BYTES);
    this.acc = new MmrAccumulator({ onNode: (position, hash) => this.put(position, hash) });
  }

  /** A log over receipt next_roots (hex, leaf-hashed). */
  static fromNextRoots(nextRoots: readonly string[]): MmrNodeLog {
    const log = new MmrNodeLog(2 * nextRoots.length);
    for (const nr of nextRoots) log.appendNextRoot(nr);
    return log;
  }

  /** A log over already computed leaf hashes (64-hex or 32 bytes). */
  static fromLeafHashes(leafHashes: readonly (string | Uint8Array)[]): MmrNodeLog {
    const log = new MmrNodeLog(2 * leafHashes.length);
    for (const lh of leafHashes) log.appendLeafHash(lh);
    return log;
  }

  private put(position: number, hash: Buffer): void {
    const end = (position + 1) * MMR_HASH_BYTES;
    if (end > this.store.length) {
      const grown = Buffer.alloc(Math.max(end, this.store.length * 2));
      this.store.copy(grown, 0, 0, this.count * MMR_HASH_BYTES);
      this.store = grown;
    }
    hash.copy(this.store, position * MMR_HASH_BYTES);
    this.count = position + 1;
  }

  /** Same convention as `MmrAccumulator.append`: string = next_root hex, Uint8Array = leaf hash. */
  append(item: string | Uint8Array): number {
    return this.acc.append(item);
  }

  appendNextRoot(nextRootHex: string): number {
    return this.acc.appendNextRoot(nextRootHex);
  }

  appendLeafHash(leafHash: string | Uint8Array): number {
    return this.acc.appendLeafHash(leafHash);
  }

  get size(): number {
    return this.acc.size;
  }

  get nodeCount(): number {
    return this.count;
  }

  get root(): string {
    return this.acc.root;
  }

  get peaks(): MmrPeak[] {
    return this.acc.peaks;
  }

  snapshot(): MmrRoot {
    return this.acc.snapshot();
  }

  /** The node hash at a post-order position (a copy), or `undefined` beyond the end. */
  getNode(position: number): Buffer | undefined {
    if (!Number.isSafeInteger(position) || position < 0 || position >= this.count) return undefined;
    const off = position * MMR_HASH_BYTES;
    return Buffer.from(this.store.subarray(off, off + MMR_HASH_BYTES));
  }

  /** Leaf hash (hex) of leaf `leafIndex`. */
  leafHash(leafIndex: number): string {
    if (!Number.isSafeInteger(leafIndex) || leafIndex < 0 || leafIndex >= this.size) {
      throw new RangeError(`leaf index ${String(leafIndex)} out of range (size ${this.size})`);
    }
    return this.getNode(mmrLeafPosition(leafIndex))!.toString('hex');
  }

  /** `{size, root, peaks}` as it was when the log had `size` leaves (0 <= size <= current size). */
  snapshotAt(size: number): MmrRoot {
    if (!Number.isSafeInteger(size) || size < 0 || size > this.size) {
      throw new RangeError(`size ${String(size)} out of range (current size ${this.size})`);
    }
    const slots = mmrPeakPositions(size);
    const hashes = slots.map((s) => this.getNode(s.position)!);
    const bag = bagPeakHashes(hashes);
    return {
      size,
      root: bag === null ? '' : bag.toString('hex'),
      peaks: slots.map((s, i) => ({ height: s.height, hash: hashes[i]!.toString('hex') })),
    };
  }

  /** Inclusion proof for `leafIndex` against the MMR of `size` leaves (default: current size). */
  buildInclusionProof(leafIndex: number, receiptNextRoot: string, size: number = this.size): MmrInclusionProof {
    if (size > this.size) throw new RangeError(`size ${size} is beyond the log (size ${this.size})`);
    return buildInclusionProofFromNodes(this.lookup, size, leafIndex, receiptNextRoot);
  }

  /** Consistency proof from `oldSize` to `newSize` (default: current size). */
  buildConsistencyProof(oldSize: number, newSize: number = this.size): MmrConsistencyProof {
    if (newSize > this.size) throw new RangeError(`size ${newSize} is beyond the log (size ${this.size})`);
    return buildConsistencyProofFromNodes(this.lookup, oldSize, newSize);
  }
}
