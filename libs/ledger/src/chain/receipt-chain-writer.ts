import {
  addProof,
  buildConsistencyProofFromNodes,
  buildInclusionProofFromNodes,
  canonicalize,
  makeTransitionEnvelope,
  MmrAccumulator,
  parseJsonText,
  planConsistencyProof,
  planInclusionProof,
  sealReceipt,
  type Ed25519KeyPair,
  type JsonObject,
  type MmrConsistencyProof,
  type MmrInclusionProof,
  type MmrPeak,
} from '@corridor/protocol';
import { ChainRangeError, WrongExpectedRevisionError } from '../port/errors';
import { eventIdFromDigest } from '../port/event-id';
import { NO_STREAM, type EventMetadata, type EventStore, type EventToAppend, type ExpectedRevision, type StoredEvent } from '../port/event-store.port';
import type { ChainEvent, ChainProfile } from './chain-profile';
import { creatingLeaf, mmrMetadataOf, peaksWithHeights, toMetadata, type ReceiptMmrMetadata } from './mmr-metadata';

/** The head of a stream's chain: what the next append builds on. */
export interface ChainHead {
  /** Revision (= sequence = MMR leaf index) of the last receipt. */
  readonly revision: number;
  readonly nextRoot: string;
  readonly mmr: { size: number; root: string; peaks: MmrPeak[] };
}

export interface AppendedReceipts {
  readonly stream: string;
  /** The signed receipts, in order; `receipts[i].sequence === firstSequence + i`. */
  readonly receipts: JsonObject[];
  readonly firstSequence: number;
  /** Pass as `expectedRevision` for the next append. */
  readonly nextExpectedRevision: number;
  readonly mmr: { size: number; root: string; peaks: MmrPeak[] };
}

/**
 * Turns domain events into a stream's receipt chain: each event becomes the next receipt (`prev_root` = the
 * previous `next_root`, or the genesis root), sealed with `next_root`, signed with the node's key, leaf-hashed
 * into the stream's MMR, and appended with its MMR metadata in one atomic append with an exact expected revision.
 * Event ids derive from `next_root`, so re-sending an append that already succeeded is a no-op.
 *
 * Appends to one stream are serialised (each waits for the previous one to settle); different streams proceed
 * independently. The head of each stream is cached after the first append or read, and loaded from the
 * stream's last event alone when needed (no replay).
 */
export class ReceiptChainWriter {
  private readonly heads = new Map<string, ChainHead | null>();
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(
    readonly store: EventStore,
    private readonly signer: Ed25519KeyPair,
  ) {}

  append(
    stream: string,
    profile: ChainProfile,
    events: readonly ChainEvent[],
    expectedRevision: ExpectedRevision,
    metadata?: EventMetadata,
  ): Promise<AppendedReceipts> {
    const previous = this.tails.get(stream) ?? Promise.resolve();
    const run = previous.then(
      () => this.appendNow(stream, profile, events, expectedRevision, metadata),
      () => this.appendNow(stream, profile, events, expectedRevision, metadata),
    );
    const tail = run.catch(() => undefined);
    this.tails.set(stream, tail);
    void tail.then(() => {
      if (this.tails.get(stream) === tail) this.tails.delete(stream);
    });
    return run;
  }

  private async appendNow(
    stream: string,
    profile: ChainProfile,
    events: readonly ChainEvent[],
    expectedRevision: ExpectedRevision,
    metadata: EventMetadata | undefined,
  ): Promise<AppendedReceipts> {
    if (events.length === 0) throw new RangeError('nothing to append');
    const head = await this.head(stream);
    const actual = head ? head.revision : NO_STREAM;
    if (actual !== expectedRevision) throw new WrongExpectedRevisionError(stream, expectedRevision, actual);

    let created: string[] = [];
    const acc = head
      ? MmrAccumulator.fromPeaks(head.mmr.size, head.mmr.peaks, { onNode: (_p, hash) => created.push(hash.toString('hex')) })
      : new MmrAccumulator({ onNode: (_p, hash) => created.push(hash.toString('hex')) });
    let prevRoot = head ? head.nextRoot : profile.genesisRoot;
    const firstSequence = head ? head.revision + 1 : 0;
    const receipts: JsonObject[] = [];
    const toAppend: EventToAppend[] = [];
    events.forEach((event, i) => {
      const receipt = sealReceipt({
        type: profile.receiptType,
        [profile.subjectField]: profile.subjectId,
        ...(profile.extraFields ?? {}),
        sequence: firstSequence + i,
        timestamp: event.at,
        prev_root: prevRoot,
        lawpack_digest_set: [...profile.lawpackDigestSet],
        ruleset_digest_set: [...profile.rulesetDigestSet],
        transition: profile.toTransition ? profile.toTransition(event) : makeTransitionEnvelope({ kind: event.type, payload: event.data }),
      } as JsonObject);
      const signed = addProof(receipt, this.signer, { created: event.at });
      created = [];
      acc.append(receipt.next_root);
      const mmr: ReceiptMmrMetadata = { size: acc.size, root: acc.root, peaks: acc.peaks.map((p) => p.hash), nodes: created };
      receipts.push(signed);
      toAppend.push({ id: eventIdFromDigest(receipt.next_root), type: event.type, data: canonicalize(signed), metadata: toMetadata(mmr, metadata) });
      prevRoot = receipt.next_root;
    });

    try {
      const result = await this.store.append(stream, toAppend, expectedRevision);
      const last = receipts[receipts.length - 1]!;
      this.heads.set(stream, { revision: result.nextExpectedRevision, nextRoot: last.next_root as string, mmr: { size: acc.size, root: acc.root, peaks: acc.peaks } });
      return { stream, receipts, firstSequence, nextExpectedRevision: result.nextExpectedRevision, mmr: { size: acc.size, root: acc.root, peaks: acc.peaks } };
    } catch (e) {
      this.heads.delete(stream); // another writer may have moved the stream: reload the head next time
      throw e;
    }
  }

  /** The stream's head, from the cache or from its last event; null for a stream with no receipts. */
  async head(stream: string): Promise<ChainHead | null> {
    const cached = this.heads.get(stream);
    if (cached !== undefined) return cached;
    const last = await this.store.readLast(stream);
    const head = last ? headOf(last) : null;
    this.heads.set(stream, head);
    return head;
  }

  /** Forget cached heads (e.g. after another process wrote to the same store). */
  forgetHeads(): void {
    this.heads.clear();
  }

  /** Signed receipts of a stream from `fromSequence` (inclusive). */
  async receipts(stream: string, fromSequence = 0, maxCount?: number): Promise<JsonObject[]> {
    const events = await this.store.read(stream, { fromRevision: fromSequence, maxCount });
    return events.map((e) => parseJsonText(e.data) as JsonObject);
  }

  async receipt(stream: string, sequence: number): Promise<JsonObject> {
    const [event] = await this.store.read(stream, { fromRevision: sequence, maxCount: 1 });
    if (!event || event.revision !== sequence) throw new ChainRangeError(stream, `${stream} has no receipt at sequence ${sequence}`);
    return parseJsonText(event.data) as JsonObject;
  }

  /** MMR state after the receipt at `size − 1` (the chain as it was at that height). */
  async mmrAt(stream: string, size: number): Promise<{ size: number; root: string; peaks: MmrPeak[]; nextRoot: string }> {
    const event = await this.eventAt(stream, size - 1);
    const m = mmrMetadataOf(event);
    return { size: m.size, root: m.root, peaks: peaksWithHeights(m.size, m.peaks), nextRoot: (parseJsonText(event.data) as JsonObject).next_root as string };
  }

  /**
   * Inclusion proof (the reference's shape) of the receipt at `sequence` in the MMR of the first `size` receipts
   * (default: the whole chain). O(log n) point reads.
   */
  async inclusionProof(stream: string, sequence: number, size?: number): Promise<MmrInclusionProof> {
    const head = await this.requireHead(stream);
    const n = size ?? head.mmr.size;
    if (!Number.isSafeInteger(n) || n < 1 || n > head.mmr.size) throw new ChainRangeError(stream, `${stream} has no MMR of size ${n} (its size is ${head.mmr.size})`);
    if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence >= n) throw new ChainRangeError(stream, `sequence ${sequence} is not in the first ${n} receipts of ${stream}`);
    const plan = planInclusionProof(n, sequence);
    const heights = new Map<number, number>([[plan.leafPosition, 0]]);
    for (const p of [...plan.path, ...plan.peaks]) heights.set(p.position, p.height);
    const nodes = await this.nodes(stream, heights);
    const receipt = await this.receipt(stream, sequence);
    return buildInclusionProofFromNodes((pos) => nodes.get(pos), n, sequence, receipt.next_root as string);
  }

  /** Consistency proof that the chain at `newSize` extends the chain at `oldSize` (1 ≤ oldSize ≤ newSize). */
  async consistencyProof(stream: string, oldSize: number, newSize?: number): Promise<MmrConsistencyProof> {
    const head = await this.requireHead(stream);
    const n = newSize ?? head.mmr.size;
    if (!Number.isSafeInteger(n) || n < 1 || n > head.mmr.size) throw new ChainRangeError(stream, `${stream} has no MMR of size ${n} (its size is ${head.mmr.size})`);
    if (!Number.isSafeInteger(oldSize) || oldSize < 1 || oldSize > n) throw new ChainRangeError(stream, `old size must be in 1..${n}, got ${oldSize}`);
    const plan = planConsistencyProof(oldSize, n);
    const heights = new Map<number, number>();
    for (const p of [...plan.oldPeaks, ...plan.path, ...plan.newPeaks]) heights.set(p.position, p.height);
    const nodes = await this.nodes(stream, heights);
    return buildConsistencyProofFromNodes((pos) => nodes.get(pos), oldSize, n);
  }

  private async requireHead(stream: string): Promise<ChainHead> {
    const head = await this.head(stream);
    if (!head) throw new ChainRangeError(stream, `${stream} has no receipts`);
    return head;
  }

  private async eventAt(stream: string, revision: number): Promise<StoredEvent> {
    const [event] = await this.store.read(stream, { fromRevision: revision, maxCount: 1 });
    if (!event || event.revision !== revision) throw new ChainRangeError(stream, `${stream} has no receipt at sequence ${revision}`);
    return event;
  }

  /** Fetches MMR nodes by post-order position: each lives in the metadata of the append that created it. */
  private async nodes(stream: string, heights: Map<number, number>): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    const byLeaf = new Map<number, { position: number; height: number }[]>();
    for (const [position, height] of heights) {
      const leaf = creatingLeaf(position, height);
      const list = byLeaf.get(leaf) ?? [];
      list.push({ position, height });
      byLeaf.set(leaf, list);
    }
    await Promise.all(
      [...byLeaf].map(async ([leaf, wanted]) => {
        const m = mmrMetadataOf(await this.eventAt(stream, leaf));
        for (const w of wanted) {
          const hash = m.nodes[w.height];
          if (hash === undefined) throw new Error(`event ${leaf} of ${stream} holds no MMR node of height ${w.height}`);
          out.set(w.position, hash);
        }
      }),
    );
    return out;
  }
}

function headOf(event: StoredEvent): ChainHead {
  const m = mmrMetadataOf(event);
  const receipt = parseJsonText(event.data) as JsonObject;
  return { revision: event.revision, nextRoot: receipt.next_root as string, mmr: { size: m.size, root: m.root, peaks: peaksWithHeights(m.size, m.peaks) } };
}
