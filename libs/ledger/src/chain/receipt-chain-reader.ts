import {
  CHECKPOINT_MMR_TYPE,
  RECEIPT_INCLUSION_PROOF_TYPE,
  bagPeaks,
  buildConsistencyProofFromNodes,
  buildInclusionProofFromNodes,
  checkpointDigest,
  isJsonObject,
  mmrLeafPosition,
  mmrPeakHeights,
  parseJsonText,
  planConsistencyProof,
  planInclusionProof,
  type JsonObject,
  type MmrConsistencyProof,
  type MmrNodeLookup,
  type MmrRoot,
  utcSeconds,
} from '@corridor/protocol';
import { ChainIntegrityError, ChainRangeError } from '../port/errors';
import type { EventStore, GlobalPosition, StoredEvent } from '../port/event-store.port';
import { CORRIDOR_CHAIN_PROFILE, checkpointStream, receiptStream, type ChainProfile } from './chain-profile';
import { decodeReceiptEvent, type StoredReceipt } from './receipt-events';

export interface StoredCheckpoint {
  readonly stream: string;
  readonly revision: number;
  readonly eventId: string;
  readonly position: GlobalPosition;
  /** The signed checkpoint. */
  readonly checkpoint: JsonObject;
  readonly text: string;
  /** `checkpointDigest`: SHA-256 of the canonical checkpoint without its proofs. */
  readonly digest: string;
  readonly receiptCount: number;
}

export interface InclusionProofOptions {
  /** Bind the proof to this (signed) checkpoint: the proof is computed over its MMR size and must match its root. */
  readonly checkpoint?: JsonObject;
  /** Where the checkpoint can be found (`checkpoint_path` / `checkpoint_ref.uri`), when bound to one. */
  readonly checkpointPath?: string;
  /** MMR size to prove against when no checkpoint is given; default: the current head. */
  readonly size?: number;
  /** `generated_at`; default: now (seconds, UTC). */
  readonly generatedAt?: string;
}

/**
 * Reads receipt chains: receipts, the MMR at any past size, stored checkpoints, inclusion proofs and consistency
 * proofs. Every MMR node comes from the receipt events' metadata (see receipt-events.ts): a proof costs O(log n)
 * point reads, however long the chain.
 */
export class ReceiptChainReader {
  constructor(
    readonly store: EventStore,
    readonly profile: ChainProfile = CORRIDOR_CHAIN_PROFILE,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  streamOf(id: string): string {
    return receiptStream(this.profile, id);
  }

  async receipts(id: string, options: { fromSequence?: number; maxCount?: number } = {}): Promise<StoredReceipt[]> {
    const events = await this.store.read(this.streamOf(id), { fromRevision: options.fromSequence ?? 0, maxCount: options.maxCount });
    return events.map((e) => decodeReceiptEvent(this.profile, e));
  }

  async receipt(id: string, sequence: number): Promise<StoredReceipt | undefined> {
    const [event] = await this.store.read(this.streamOf(id), { fromRevision: sequence, maxCount: 1 });
    return event ? decodeReceiptEvent(this.profile, event) : undefined;
  }

  async headReceipt(id: string): Promise<StoredReceipt | undefined> {
    const event = await this.store.readLast(this.streamOf(id));
    return event ? decodeReceiptEvent(this.profile, event) : undefined;
  }

  /** Number of receipts in the chain (= MMR size). */
  async size(id: string): Promise<number> {
    const head = await this.headReceipt(id);
    return head ? head.sequence + 1 : 0;
  }

  /** `{size, root, peaks}` of the MMR over the first `size` receipts, from one stored event. */
  async mmrAt(id: string, size: number): Promise<MmrRoot> {
    if (size === 0) return { size: 0, root: '', peaks: [] };
    const last = await this.requireReceipt(id, size - 1, `MMR size ${size}`);
    return mmrFromStoredPeaks(last);
  }

  /**
   * The receipt inclusion proof (`MSEZCorridorReceiptInclusionProof`, the shape of the protocol's
   * `buildReceiptInclusionProof`) of receipt `sequence`, computed from stored MMR nodes.
   */
  async inclusionProof(id: string, sequence: number, options: InclusionProofOptions = {}): Promise<JsonObject> {
    const stream = this.streamOf(id);
    let size: number;
    if (options.checkpoint) {
      const mmr = options.checkpoint.mmr;
      const s = isJsonObject(mmr) ? mmr.size : undefined;
      if (typeof s !== 'number' || !Number.isSafeInteger(s)) throw new ChainRangeError(stream, 'the checkpoint has no mmr.size');
      size = s;
    } else {
      size = options.size ?? (await this.size(id));
    }
    if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence >= size) {
      throw new ChainRangeError(stream, `receipt ${sequence} is not within the first ${size} receipts`);
    }
    const plan = planInclusionProof(size, sequence);
    const { lookup, receipts } = await this.nodes(id, plan.positions, size);
    const leaf = receipts.get(sequence)!;
    const base = buildInclusionProofFromNodes(lookup, size, sequence, leaf.nextRoot);
    const proof: JsonObject = {
      type: RECEIPT_INCLUSION_PROOF_TYPE,
      [this.profile.idField]: id,
      generated_at: options.generatedAt ?? utcSeconds(this.clock()),
      mmr: { type: CHECKPOINT_MMR_TYPE, algorithm: 'sha256', size: base.size, root: base.root },
      leaf_index: base.leaf_index,
      receipt_next_root: base.receipt_next_root,
      leaf_hash: base.leaf_hash,
      peak_index: base.peak_index,
      peak_height: base.peak_height,
      path: base.path.map((s) => ({ side: s.side, hash: s.hash })),
      peaks: base.peaks.map((p) => ({ height: p.height, hash: p.hash })),
      computed_peak_root: base.computed_peak_root,
    };
    if (options.checkpoint) {
      const cp = options.checkpoint;
      const cpMmr = cp.mmr as JsonObject;
      if (cpMmr.root !== base.root) throw new ChainIntegrityError(stream, `the checkpoint's mmr.root is not the stored chain's MMR root at size ${size}`);
      const digest = checkpointDigest(cp);
      const path = options.checkpointPath ?? '';
      proof.checkpoint_digest_sha256 = digest;
      proof.checkpoint_path = path;
      proof.checkpoint_mmr_root = cpMmr.root;
      proof.checkpoint_receipt_count = size;
      proof.checkpoint_final_state_root = cp.final_state_root as string;
      proof.checkpoint_ref = { artifact_type: 'checkpoint', digest_sha256: digest, ...(path ? { uri: path } : {}), media_type: 'application/json' };
    }
    return proof;
  }

  /** Proof that the chain at `newSize` extends the chain at `oldSize` (1 <= oldSize <= newSize <= size). */
  async consistencyProof(id: string, oldSize: number, newSize?: number): Promise<MmrConsistencyProof> {
    const to = newSize ?? (await this.size(id));
    const stream = this.streamOf(id);
    if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > to) throw new ChainRangeError(stream, `no consistency proof from size ${oldSize} to ${to}`);
    const plan = planConsistencyProof(oldSize, to);
    const { lookup } = await this.nodes(id, plan.positions, to);
    return buildConsistencyProofFromNodes(lookup, oldSize, to);
  }

  async checkpoints(id: string, options: { fromRevision?: number; maxCount?: number } = {}): Promise<StoredCheckpoint[]> {
    const events = await this.store.read(checkpointStream(this.profile, id), options);
    return events.map((e) => this.decodeCheckpoint(e));
  }

  async latestCheckpoint(id: string): Promise<StoredCheckpoint | undefined> {
    const event = await this.store.readLast(checkpointStream(this.profile, id));
    return event ? this.decodeCheckpoint(event) : undefined;
  }

  decodeCheckpoint(event: StoredEvent): StoredCheckpoint {
    const broken = (what: string) => new ChainIntegrityError(event.stream, `checkpoint event at revision ${event.revision}: ${what}`);
    if (event.type !== this.profile.checkpointType) throw broken(`type ${event.type} is not ${this.profile.checkpointType}`);
    let checkpoint: JsonObject;
    try {
      const value = parseJsonText(event.data);
      if (!isJsonObject(value)) throw new Error('not a JSON object');
      checkpoint = value;
    } catch (e) {
      throw broken(`data is not a checkpoint: ${(e as Error).message}`);
    }
    const count = checkpoint.receipt_count;
    if (typeof count !== 'number') throw broken('receipt_count is missing');
    return {
      stream: event.stream,
      revision: event.revision,
      eventId: event.id,
      position: event.position,
      checkpoint,
      text: event.data,
      digest: checkpointDigest(checkpoint),
      receiptCount: count,
    };
  }

  async requireReceipt(id: string, sequence: number, what: string): Promise<StoredReceipt> {
    const r = await this.receipt(id, sequence);
    if (!r) throw new ChainRangeError(this.streamOf(id), `${what}: the chain has no receipt ${sequence}`);
    return r;
  }

  /** Fetches the events holding the given MMR node positions and returns a lookup over them. */
  private async nodes(id: string, positions: readonly number[], size: number): Promise<{ lookup: MmrNodeLookup; receipts: Map<number, StoredReceipt> }> {
    const owners = new Map<number, number>();
    for (const p of positions) owners.set(p, ownerLeaf(p));
    const leaves = [...new Set(owners.values())];
    const fetched = await Promise.all(leaves.map((leaf) => this.requireReceipt(id, leaf, `MMR of size ${size}`)));
    const receipts = new Map(fetched.map((r) => [r.sequence, r]));
    const lookup: MmrNodeLookup = (position) => {
      const leaf = owners.get(position);
      if (leaf === undefined) return undefined;
      const r = receipts.get(leaf)!;
      return r.mmr.nodes[position - mmrLeafPosition(leaf)];
    };
    return { lookup, receipts };
  }
}

/** `{size, root, peaks}` after the stored receipt, from its metadata (heights follow from the size). */
export function mmrFromStoredPeaks(last: StoredReceipt): MmrRoot {
  const size = last.sequence + 1;
  const heights = mmrPeakHeights(size);
  if (heights.length !== last.mmr.peaks.length) {
    throw new ChainIntegrityError(last.stream, `receipt ${last.sequence} stores ${last.mmr.peaks.length} MMR peaks, size ${size} has ${heights.length}`);
  }
  const peaks = heights.map((height, i) => ({ height, hash: last.mmr.peaks[i]! }));
  return { size, root: bagPeaks(peaks), peaks };
}

/** The leaf whose append created the MMR node at a post-order position (the last leaf with position <= p). */
export function ownerLeaf(position: number): number {
  let lo = 0;
  let hi = position + 1; // leaf i sits at 2i - popcount(i) >= i, so the owner is at most `position`
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (mmrLeafPosition(mid) <= position) lo = mid;
    else hi = mid;
  }
  return lo;
}
