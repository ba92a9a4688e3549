import {
  CHECKPOINT_MMR_TYPE,
  CORRIDOR_RECEIPT_TYPE,
  MmrAccumulator,
  RECEIPT_INCLUSION_PROOF_TYPE,
  bagPeaks,
  buildCheckpoint,
  buildConsistencyProofFromNodes,
  buildInclusionProofFromNodes,
  checkpointDigest,
  computeNextRoot,
  isJsonObject,
  makeTransitionEnvelope,
  mmrPeakPositions,
  parseJsonText,
  planConsistencyProof,
  planInclusionProof,
  sealReceipt,
  utcSeconds,
  type Ed25519KeyPair,
  type JsonObject,
  type MmrConsistencyProof,
  type MmrInclusionProof,
  type MmrPeak,
} from '@corridor/protocol';
import { ChainIntegrityError, ChainRangeError, InvalidAppendError, LedgerError, WrongExpectedRevisionError } from '../port/errors';
import { eventIdFromDigest } from '../port/event-id';
import { NO_STREAM, type EventMetadata, type EventStore, type EventToAppend, type ExpectedRevision, type StoredEvent } from '../port/event-store.port';
import { InlineReceiptSigner, WorkerPoolReceiptSigner, type ReceiptSigner, type SignedReceiptText } from '../signing/receipt-signer';
import type { ChainEvent, ChainProfile } from './chain-profile';
import { creatingLeaf, mmrMetadataOf, peaksWithHeights, toMetadata, type ReceiptMmrMetadata } from './mmr-metadata';
import { checkReceivedReceipts, type CheckedReceipt, type ReceivedReceipt } from './received-receipts';

/** Injection token for the receipt-chain writer (NestJS `@Inject(RECEIPT_CHAIN_WRITER)`). */
export const RECEIPT_CHAIN_WRITER: unique symbol = Symbol.for('corridor-ledger.ReceiptChainWriter');

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
  /**
   * The canonical JSON text of each receipt, exactly as stored (the event data): callers that answer with the
   * receipts reuse it instead of serialising them again.
   */
  readonly texts: readonly string[];
  readonly firstSequence: number;
  /** Pass as `expectedRevision` for the next append. */
  readonly nextExpectedRevision: number;
  readonly mmr: { size: number; root: string; peaks: MmrPeak[] };
  /** True when these receipts were already stored by an earlier attempt of the same append (a retry). */
  readonly idempotent: boolean;
}

export interface ReceiptChainWriterOptions {
  /** Sign in this many worker threads, off the event loop (0: sign on the event loop). Default 0. */
  readonly signingWorkers?: number;
  /** A signer to use instead (e.g. one backed by an HSM); overrides `signingWorkers`. */
  readonly signer?: ReceiptSigner;
  /** Upper bound of receipts written by one store append (queued appends to one stream are batched). Default 512. */
  readonly maxReceiptsPerCommit?: number;
}

export interface CheckpointOptions {
  /** Receipt count the checkpoint commits to; default: the whole chain. */
  readonly height?: number;
  /**
   * Checkpoint timestamp; default: the timestamp of the last receipt it includes, so the checkpoint at a height is
   * always the same bytes (Ed25519 signatures are deterministic).
   */
  readonly timestamp?: string;
  /** Field of the receipts naming the chain's subject; default `corridor_id`. */
  readonly subjectField?: string;
}

export interface ReceiptInclusionProofOptions {
  /** Bind the proof to this signed checkpoint: computed over its MMR size, and its root must match. */
  readonly checkpoint?: JsonObject;
  /** Where the checkpoint can be found (`checkpoint_path`, `checkpoint_ref.uri`). */
  readonly checkpointPath?: string;
  /** MMR size to prove against without a checkpoint; default: the whole chain. */
  readonly size?: number;
  /** `generated_at`; default: now (UTC, seconds). */
  readonly generatedAt?: string;
  /** Field of the receipts naming the chain's subject; default `corridor_id`. */
  readonly subjectField?: string;
}

interface HeadState {
  revision: number;
  nextRoot: string;
  acc: MmrAccumulator;
}

/** A head being advanced by a batch: its accumulator reports the nodes each append creates. */
interface Cursor extends HeadState {
  readonly created: { nodes: string[] };
}

function cursorFrom(head: HeadState | null): Cursor {
  const created = { nodes: [] as string[] };
  const onNode = (_position: number, hash: Buffer) => created.nodes.push(hash.toString('hex'));
  if (!head) return { revision: -1, nextRoot: '', acc: new MmrAccumulator({ onNode }), created };
  return { revision: head.revision, nextRoot: head.nextRoot, acc: head.acc.clone({ onNode }), created };
}

interface AppendRequestBase {
  readonly profile: ChainProfile;
  /** Number of receipts the request appends. */
  readonly size: number;
  readonly expected: ExpectedRevision;
  readonly metadata: EventMetadata | undefined;
  /** Set once the request was found ahead of the head and re-queued for a check against a reloaded head. */
  rechecked: boolean;
  readonly resolve: (r: AppendedReceipts) => void;
  readonly reject: (e: unknown) => void;
}

/** Domain events this node turns into receipts and signs (`append`). */
interface LocalAppendRequest extends AppendRequestBase {
  readonly kind: 'local';
  readonly events: readonly ChainEvent[];
}

/**
 * Receipts built and signed by another node (`appendReceived`), already checked on their own: only the first one's
 * link to the head is left to check when the request is built. Never signed here.
 */
interface ReceivedAppendRequest extends AppendRequestBase {
  readonly kind: 'received';
  readonly received: readonly CheckedReceipt[];
}

type AppendRequest = LocalAppendRequest | ReceivedAppendRequest;

interface Built {
  readonly req: AppendRequest;
  /** The receipts: sealed, to be signed (local), or as received, proofs included. */
  readonly sealed: JsonObject[];
  /** Proof `created` of each receipt to sign (local requests only). */
  readonly created: string[];
  /** The stored event type of each receipt. */
  readonly types: string[];
  /** Received requests: the receipts and their canonical text, stored as they are (the signing step is skipped). */
  readonly presigned?: readonly SignedReceiptText[];
  readonly mmr: ReceiptMmrMetadata[];
  readonly firstSequence: number;
  /** The MMR after this request's receipts (its root is computed only if someone asks for it). */
  readonly after: MmrAccumulator;
}

/**
 * Read side of receipt chains, on any event store: receipts, the head, the MMR at any past size, inclusion and
 * consistency proofs. Every MMR node is in the metadata of the receipt event that created it, so a proof costs
 * O(log n) point reads however long the chain is.
 */
export class ReceiptChainReader {
  constructor(readonly store: EventStore) {}

  /** The stream's head from its last event alone (no replay); null for a stream with no receipts. */
  async loadHead(stream: string): Promise<ChainHead | null> {
    const last = await this.store.readLast(stream);
    return last ? publicHead(await this.stateOf(last)) : null;
  }

  /** Signed receipts of a stream from `fromSequence` (inclusive). */
  async receipts(stream: string, fromSequence = 0, maxCount?: number): Promise<JsonObject[]> {
    const events = await this.store.read(stream, { fromRevision: fromSequence, maxCount });
    return events.map((e) => receiptOf(e));
  }

  async receipt(stream: string, sequence: number): Promise<JsonObject> {
    return receiptOf(await this.eventAt(stream, sequence));
  }

  /** MMR state after the receipt at `size − 1` (the chain as it was at that height). */
  async mmrAt(stream: string, size: number): Promise<{ size: number; root: string; peaks: MmrPeak[]; nextRoot: string }> {
    if (!Number.isSafeInteger(size) || size < 1) throw new ChainRangeError(stream, `${stream} has no MMR of size ${size}`);
    const event = await this.eventAt(stream, size - 1);
    return { ...(await this.mmrOf(event)), nextRoot: receiptOf(event).next_root as string };
  }

  /**
   * Inclusion proof (the reference's MMR proof shape) of the receipt at `sequence` in the MMR of the first `size`
   * receipts (default: the whole chain). O(log n) point reads.
   */
  async inclusionProof(stream: string, sequence: number, size?: number): Promise<MmrInclusionProof> {
    const head = await this.requireHead(stream);
    const n = size ?? head.mmr.size;
    if (!Number.isSafeInteger(n) || n < 1 || n > head.mmr.size) throw new ChainRangeError(stream, `${stream} has no MMR of size ${n} (its size is ${head.mmr.size})`);
    if (!Number.isSafeInteger(sequence) || sequence < 0 || sequence >= n) throw new ChainRangeError(stream, `sequence ${sequence} is not in the first ${n} receipts of ${stream}`);
    const plan = planInclusionProof(n, sequence);
    const heights = new Map<number, number>([[plan.leafPosition, 0]]);
    for (const p of [...plan.path, ...plan.peaks]) heights.set(p.position, p.height);
    const { nodes, events } = await this.nodes(stream, heights);
    const receipt = receiptOf(events.get(sequence)!);
    return buildInclusionProofFromNodes((pos) => nodes.get(pos), n, sequence, receipt.next_root as string);
  }

  /**
   * The receipt inclusion proof object (`MSEZCorridorReceiptInclusionProof`, as the protocol's
   * `buildReceiptInclusionProof` shapes it), computed from stored nodes, optionally bound to a signed checkpoint.
   */
  async receiptInclusionProof(stream: string, sequence: number, options: ReceiptInclusionProofOptions = {}): Promise<JsonObject> {
    let size = options.size;
    const cp = options.checkpoint;
    if (cp) {
      const cpMmr = isJsonObject(cp.mmr) ? cp.mmr : undefined;
      if (!cpMmr || typeof cpMmr.size !== 'number') throw new ChainRangeError(stream, 'the checkpoint has no mmr.size');
      size = cpMmr.size;
    }
    const base = await this.inclusionProof(stream, sequence, size);
    const first = await this.receipt(stream, 0);
    const subjectField = options.subjectField ?? 'corridor_id';
    const proof: JsonObject = {
      type: RECEIPT_INCLUSION_PROOF_TYPE,
      corridor_id: first[subjectField] as string,
      generated_at: options.generatedAt ?? utcSeconds(new Date()),
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
    if (cp) {
      const cpMmr = cp.mmr as JsonObject;
      if (cpMmr.root !== base.root) throw new ChainIntegrityError(stream, `the checkpoint's mmr.root is not the stored chain's MMR root at size ${base.size}`);
      const digest = checkpointDigest(cp);
      const path = options.checkpointPath ?? '';
      proof.checkpoint_digest_sha256 = digest;
      proof.checkpoint_path = path;
      proof.checkpoint_mmr_root = cpMmr.root as string;
      proof.checkpoint_receipt_count = base.size;
      proof.checkpoint_final_state_root = cp.final_state_root as string;
      proof.checkpoint_ref = { artifact_type: 'checkpoint', digest_sha256: digest, ...(path ? { uri: path } : {}), media_type: 'application/json' };
    }
    return proof;
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
    const { nodes } = await this.nodes(stream, heights);
    return buildConsistencyProofFromNodes((pos) => nodes.get(pos), oldSize, n);
  }

  /** The unsigned checkpoint of the first `height` receipts (see `CheckpointOptions`). */
  async unsignedCheckpoint(stream: string, options: CheckpointOptions = {}): Promise<JsonObject> {
    const head = await this.requireHead(stream);
    const n = options.height ?? head.mmr.size;
    if (!Number.isSafeInteger(n) || n < 1 || n > head.mmr.size) throw new ChainRangeError(stream, `${stream} has no checkpoint at height ${n} (its height is ${head.mmr.size})`);
    const first = await this.receipt(stream, 0);
    const lastEvent = await this.eventAt(stream, n - 1);
    const last = receiptOf(lastEvent);
    const mmr = await this.mmrOf(lastEvent);
    const subjectField = options.subjectField ?? 'corridor_id';
    const subjectId = first[subjectField];
    if (typeof subjectId !== 'string') throw new ChainIntegrityError(stream, `the first receipt of ${stream} has no ${subjectField}`);
    const checkpoint = buildCheckpoint({
      corridor_id: subjectId,
      timestamp: options.timestamp ?? (last.timestamp as string),
      genesis_root: first.prev_root as string,
      final_state_root: last.next_root as string,
      receipt_count: n,
      lawpack_digest_set: (first.lawpack_digest_set as string[]) ?? [],
      ruleset_digest_set: (first.ruleset_digest_set as string[]) ?? [],
      mmr,
    });
    if (subjectField === 'corridor_id' && first.type === CORRIDOR_RECEIPT_TYPE) return checkpoint;
    // Other chains: the checkpoint names the subject by its own field and takes the receipt type's name.
    const { corridor_id: _corridor, ...rest } = checkpoint;
    void _corridor;
    return {
      ...rest,
      type: String(first.type).replace(/Receipt$/, 'Checkpoint'),
      [subjectField]: subjectId,
      ...(typeof first.corridor_id === 'string' ? { corridor_id: first.corridor_id } : {}),
    };
  }

  /** `{size, root, peaks}` after a stored receipt: from its metadata, or (mid-append receipts) from the peak nodes. */
  protected async mmrOf(event: StoredEvent): Promise<{ size: number; root: string; peaks: MmrPeak[] }> {
    const m = mmrMetadataOf(event);
    if (m.peaks) return { size: m.size, root: m.root!, peaks: peaksWithHeights(m.size, m.peaks) };
    const slots = mmrPeakPositions(m.size);
    const { nodes } = await this.nodes(event.stream, new Map(slots.map((p) => [p.position, p.height])));
    const peaks = slots.map((p) => ({ height: p.height, hash: nodes.get(p.position)! }));
    return { size: m.size, root: bagPeaks(peaks), peaks };
  }

  /** The chain state after a stored receipt, with the checks that make a corrupted head fail loudly. */
  protected async stateOf(event: StoredEvent): Promise<HeadState> {
    const receipt = receiptOf(event);
    const broken = (what: string) => new ChainIntegrityError(event.stream, `receipt at revision ${event.revision}: ${what}`);
    if (receipt.sequence !== event.revision) throw broken(`its sequence is ${String(receipt.sequence)}`);
    if (typeof receipt.next_root !== 'string' || computeNextRoot(receipt) !== receipt.next_root) throw broken('next_root does not match its content');
    if (eventIdFromDigest(receipt.next_root) !== event.id) throw broken('the event id does not derive from next_root');
    const m = mmrMetadataOf(event);
    const mmr = await this.mmrOf(event);
    if (mmr.peaks[mmr.peaks.length - 1]!.hash !== m.nodes[m.nodes.length - 1]) throw broken('its last MMR node is not the last peak');
    const acc = MmrAccumulator.fromPeaks(mmr.size, mmr.peaks);
    if (acc.root !== mmr.root) throw broken('the stored MMR peaks do not bag to the stored root');
    return { revision: event.revision, nextRoot: receipt.next_root, acc };
  }

  protected async requireHead(stream: string): Promise<ChainHead> {
    const head = await this.loadHead(stream);
    if (!head) throw new ChainRangeError(stream, `${stream} has no receipts`);
    return head;
  }

  protected async eventAt(stream: string, revision: number): Promise<StoredEvent> {
    const [event] = await this.store.read(stream, { fromRevision: revision, maxCount: 1 });
    if (!event || event.revision !== revision) throw new ChainRangeError(stream, `${stream} has no receipt at sequence ${revision}`);
    return event;
  }

  /** Fetches MMR nodes by post-order position: each lives in the metadata of the append that created it. */
  protected async nodes(stream: string, heights: Map<number, number>): Promise<{ nodes: Map<number, string>; events: Map<number, StoredEvent> }> {
    const nodes = new Map<number, string>();
    const byLeaf = new Map<number, { position: number; height: number }[]>();
    for (const [position, height] of heights) {
      const leaf = creatingLeaf(position, height);
      const list = byLeaf.get(leaf) ?? [];
      list.push({ position, height });
      byLeaf.set(leaf, list);
    }
    const events = new Map<number, StoredEvent>();
    await Promise.all(
      [...byLeaf].map(async ([leaf, wanted]) => {
        const event = await this.eventAt(stream, leaf);
        events.set(leaf, event);
        const m = mmrMetadataOf(event);
        for (const w of wanted) {
          const hash = m.nodes[w.height];
          if (hash === undefined) throw new ChainIntegrityError(stream, `event ${leaf} of ${stream} holds no MMR node of height ${w.height}`);
          nodes.set(w.position, hash);
        }
      }),
    );
    return { nodes, events };
  }
}

/** Batches of one stream that may be in flight (built, being signed, waiting for or in a commit) at the same time. */
const PIPELINE_DEPTH = 8;

/**
 * Turns domain events into a stream's receipt chain: each event becomes the next receipt (`prev_root` = the
 * previous `next_root`, or the genesis root), sealed with `next_root`, signed with the node's key, leaf-hashed
 * into the stream's MMR, and appended with its MMR metadata in one atomic append with an exact expected revision.
 *
 * - The head (last next_root, revision, MMR peaks) is loaded from the stream's last event alone (no replay) and
 *   cached; a failed append drops it, so a stream moved by another writer is reloaded.
 * - Appends to one stream are serialised by a per-stream lane: appends queued while earlier ones are signed and
 *   committed form the next batch (one store append), each checked against its own expected revision; up to
 *   eight batches of a stream are in flight (built in order, signed in parallel, committed in order). Different
 *   streams proceed in parallel and share the store's group commit.
 * - Receipts are deterministic (timestamp and proof `created` are the event's `at`), so event ids — derived from
 *   `next_root` — identify them: re-sending an append that already succeeded returns the stored receipts
 *   (`idempotent: true`) instead of a conflict or a duplicate.
 * - Receipts built and signed by another node (a shared chain's sequencer) are appended with `appendReceived`:
 *   checked, then stored as they came through the same lane, skipping only the signing (spec/receipt-chains.md §6).
 */
export class ReceiptChainWriter extends ReceiptChainReader {
  private readonly key: Ed25519KeyPair;
  private readonly signer: ReceiptSigner;
  private readonly ownsSigner: boolean;
  private readonly maxReceipts: number;
  private readonly heads = new Map<string, HeadState | null>();
  private readonly lanes = new Map<string, StreamLane>();

  constructor(store: EventStore, key: Ed25519KeyPair, options: ReceiptChainWriterOptions = {}) {
    super(store);
    this.key = key;
    this.maxReceipts = options.maxReceiptsPerCommit ?? 512;
    if (options.signer) {
      this.signer = options.signer;
      this.ownsSigner = false;
    } else {
      const workers = options.signingWorkers ?? 0;
      this.signer = workers > 0 ? new WorkerPoolReceiptSigner(key, { workers }) : new InlineReceiptSigner(key);
      this.ownsSigner = true;
    }
  }

  append(
    stream: string,
    profile: ChainProfile,
    events: readonly ChainEvent[],
    expectedRevision: ExpectedRevision,
    metadata?: EventMetadata,
  ): Promise<AppendedReceipts> {
    if (!Array.isArray(events) || events.length === 0) return Promise.reject(new InvalidAppendError('nothing to append'));
    if (events.length > this.maxReceipts) return Promise.reject(new InvalidAppendError(`an append takes at most ${this.maxReceipts} events`));
    if (expectedRevision !== NO_STREAM && !(Number.isSafeInteger(expectedRevision) && expectedRevision >= 0)) {
      return Promise.reject(new InvalidAppendError(`expectedRevision must be "${NO_STREAM}" or a revision >= 0`));
    }
    const lane = this.laneOf(stream);
    return new Promise<AppendedReceipts>((resolve, reject) =>
      lane.enqueue({ kind: 'local', profile, events, size: events.length, expected: expectedRevision, metadata, rechecked: false, resolve, reject }),
    );
  }

  /**
   * Appends receipts built and signed elsewhere (by a peer node's sequencer), in order, after the stream's head:
   * receipt i must have sequence = head+1+i, prev_root = the head's next_root (the profile's genesisRoot for sequence 0),
   * the profile's receipt type / subject field+id / lawpack and ruleset digest sets, and a next_root that recomputes
   * (computeNextRoot from @corridor/protocol). Stored as the canonical JSON text of the receipt as given (proofs included),
   * with the same event ids (eventIdFromDigest(next_root)) and MMR metadata as a local append. Not signed again.
   *
   * Goes through the stream's lane like `append` (the two interleave on one stream with exact expected revisions),
   * with the same retry rule: the same receipts again at the same expected revision after they were stored resolve
   * with `idempotent: true` (same event ids), other receipts there are a `WrongExpectedRevisionError`. A receipt that
   * fails a check is an `InvalidAppendError` naming its sequence and the check (`checkReceivedReceipts`), and nothing
   * of the request is stored. Every proof must verify; whether the right key signed (the corridor's sequencer) is the
   * caller's check.
   */
  appendReceived(
    stream: string,
    profile: ChainProfile,
    receipts: readonly ReceivedReceipt[],
    expectedRevision: ExpectedRevision,
    metadata?: EventMetadata,
  ): Promise<AppendedReceipts> {
    if (!Array.isArray(receipts) || receipts.length === 0) return Promise.reject(new InvalidAppendError('nothing to append'));
    if (receipts.length > this.maxReceipts) return Promise.reject(new InvalidAppendError(`an append takes at most ${this.maxReceipts} receipts`));
    if (expectedRevision !== NO_STREAM && !(Number.isSafeInteger(expectedRevision) && expectedRevision >= 0)) {
      return Promise.reject(new InvalidAppendError(`expectedRevision must be "${NO_STREAM}" or a revision >= 0`));
    }
    if (metadata !== undefined && !(typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata))) {
      return Promise.reject(new InvalidAppendError('metadata must be a JSON object'));
    }
    let received: CheckedReceipt[];
    try {
      // Everything that does not depend on the head is checked now, on private copies of the receipts.
      received = checkReceivedReceipts(profile, receipts, expectedRevision === NO_STREAM ? 0 : expectedRevision + 1);
    } catch (e) {
      return Promise.reject(e);
    }
    const lane = this.laneOf(stream);
    return new Promise<AppendedReceipts>((resolve, reject) =>
      lane.enqueue({ kind: 'received', profile, received, size: received.length, expected: expectedRevision, metadata, rechecked: false, resolve, reject }),
    );
  }

  private laneOf(stream: string): StreamLane {
    let lane = this.lanes.get(stream);
    if (!lane) {
      lane = new StreamLane(this, stream);
      this.lanes.set(stream, lane);
    }
    return lane;
  }

  /** The stream's head, from the cache or from its last event; null for a stream with no receipts. */
  async head(stream: string): Promise<ChainHead | null> {
    const state = await this.headState(stream);
    return state ? publicHead(state) : null;
  }

  /** Forget cached heads (e.g. after another process wrote to the same store). */
  forgetHeads(): void {
    this.heads.clear();
  }

  /** The checkpoint of the first `height` receipts (default: all), signed with the node's key. */
  async checkpoint(stream: string, options: CheckpointOptions = {}): Promise<JsonObject> {
    const unsigned = await this.unsignedCheckpoint(stream, options);
    const [signed] = await this.signer.sign([unsigned], [proofCreated(unsigned.timestamp as string)]);
    return signed!.receipt;
  }

  /** Stops the signing workers (when the writer started them). */
  async close(): Promise<void> {
    if (this.ownsSigner) await this.signer.close();
  }

  get verificationMethod(): string {
    return this.key.verificationMethod;
  }

  // ---- used by the lanes ----

  /** @internal */
  async headState(stream: string): Promise<HeadState | null> {
    const cached = this.heads.get(stream);
    if (cached !== undefined) return cached;
    const last = await this.store.readLast(stream);
    const state = last ? await this.stateOf(last) : null;
    this.heads.set(stream, state);
    return state;
  }

  /** @internal */
  setHead(stream: string, head: HeadState | null | undefined): void {
    if (head === undefined) this.heads.delete(stream);
    else this.heads.set(stream, head);
  }

  /** @internal How many batches the signer works on at once. */
  get signingParallelism(): number {
    return this.signer.parallelism ?? 1;
  }

  /** @internal */
  get maxReceiptsPerCommit(): number {
    return this.maxReceipts;
  }

  /**
   * @internal Builds the sealed receipts of one request on top of `cursor`, advancing it. Everything that can fail
   * (times, transitions, canonical bytes) happens before the cursor is touched, so a refused request leaves it as it
   * was.
   */
  build(req: AppendRequest, cursor: Cursor): Built {
    return req.kind === 'received' ? this.buildReceived(req, cursor) : this.buildLocal(req, cursor);
  }

  private buildLocal(req: LocalAppendRequest, cursor: Cursor): Built {
    const { profile } = req;
    const firstSequence = cursor.revision + 1;
    const sealed: (JsonObject & { next_root: string })[] = [];
    const created: string[] = [];
    let prevRoot = cursor.nextRoot;
    for (const event of req.events) {
      if (typeof event.at !== 'string' || Number.isNaN(Date.parse(event.at))) {
        throw new InvalidAppendError(`event ${event.type} has no valid time (at): ${JSON.stringify(event.at)}`);
      }
      const sequence = firstSequence + sealed.length;
      let receipt: JsonObject & { next_root: string };
      try {
        receipt = sealReceipt({
          type: profile.receiptType,
          [profile.subjectField]: profile.subjectId,
          ...(profile.extraFields ?? {}),
          sequence,
          timestamp: event.at,
          prev_root: sequence === 0 ? profile.genesisRoot : prevRoot,
          lawpack_digest_set: [...profile.lawpackDigestSet],
          ruleset_digest_set: [...profile.rulesetDigestSet],
          transition: profile.toTransition ? profile.toTransition(event) : makeTransitionEnvelope({ kind: event.type, payload: event.data }),
        } as JsonObject);
      } catch (e) {
        throw e instanceof LedgerError ? e : new InvalidAppendError(`cannot build the receipt of ${event.type}: ${(e as Error).message}`, { cause: e });
      }
      sealed.push(receipt);
      created.push(proofCreated(event.at));
      prevRoot = receipt.next_root;
    }
    const mmr = advance(cursor, sealed.map((r) => r.next_root));
    return { req, sealed, created, types: req.events.map((e) => e.type), mmr, firstSequence, after: cursor.acc.clone() };
  }

  /**
   * Received receipts were checked on their own when they arrived (`checkReceivedReceipts`); what is left is the
   * first one's place: right after the cursor, continuing its next_root. Checked before the cursor is touched.
   */
  private buildReceived(req: ReceivedAppendRequest, cursor: Cursor): Built {
    const first = req.received[0]!;
    const firstSequence = cursor.revision + 1;
    if (first.sequence !== firstSequence) {
      throw new InvalidAppendError(`receipt ${first.sequence}: sequence is ${first.sequence}, expected ${firstSequence} (the next after the head)`);
    }
    if (firstSequence > 0 && first.prevRoot !== cursor.nextRoot) {
      throw new InvalidAppendError(
        `receipt ${first.sequence}: prev_root ${first.prevRoot.slice(0, 16)}… does not continue the head ${cursor.nextRoot.slice(0, 16)}… (receipt ${cursor.revision})`,
      );
    }
    const mmr = advance(cursor, req.received.map((r) => r.nextRoot));
    return {
      req,
      sealed: req.received.map((r) => r.receipt),
      created: [],
      types: req.received.map((r) => r.type),
      presigned: req.received.map((r) => ({ receipt: r.receipt, text: r.text })),
      mmr,
      firstSequence,
      after: cursor.acc.clone(),
    };
  }

  /**
   * @internal The signed receipts of a batch, in order: local requests' receipts signed with the node's key,
   * received ones as they came (their proofs are the sequencer's).
   */
  sign(built: readonly Built[]): Promise<SignedReceiptText[]> {
    if (!built.some((b) => b.presigned)) return this.signBuilt(built);
    return this.signBuilt(built.filter((b) => !b.presigned)).then((signed) => {
      const out: SignedReceiptText[] = [];
      let k = 0;
      for (const b of built) {
        if (b.presigned) out.push(...b.presigned);
        else for (let i = 0; i < b.sealed.length; i++) out.push(signed[k++]!);
      }
      return out;
    });
  }

  private signBuilt(built: readonly Built[]): Promise<SignedReceiptText[]> {
    if (built.length === 0) return Promise.resolve([]);
    return this.signer.sign(
      built.flatMap((b) => b.sealed),
      built.flatMap((b) => b.created),
    );
  }

  /** @internal One store append for a batch, at the revision before its first receipt. */
  appendSigned(stream: string, built: readonly Built[], signed: readonly { text: string }[]): Promise<unknown> {
    const events: EventToAppend[] = [];
    let k = 0;
    for (const b of built) {
      b.types.forEach((type, i) => {
        events.push({ id: eventIdFromDigest(b.sealed[i]!.next_root as string), type, data: signed[k++]!.text, metadata: toMetadata(b.mmr[i]!, b.req.metadata) });
      });
    }
    const base = built[0]!.firstSequence - 1;
    return this.store.append(stream, events, base === -1 ? NO_STREAM : base);
  }

  /**
   * @internal An append whose expected revision is behind the head: a retry if the receipts it produces — rebuilt
   * on the stored chain at its expected revision (received receipts: as received) — are exactly the ones stored
   * after it (same event ids); otherwise a conflict.
   */
  async settle(stream: string, req: AppendRequest): Promise<AppendedReceipts> {
    const expectedLast = req.expected === NO_STREAM ? -1 : req.expected;
    const n = req.size;
    const stored = await this.store.read(stream, { fromRevision: expectedLast + 1, maxCount: n });
    if (stored.length === n) {
      let ids: string[] | undefined;
      if (req.kind === 'received') {
        ids = req.received.map((r) => eventIdFromDigest(r.nextRoot));
      } else {
        const base = expectedLast >= 0 ? await this.stateOf(await this.eventAt(stream, expectedLast)) : null;
        try {
          ids = this.build(req, cursorFrom(base)).sealed.map((r) => eventIdFromDigest(r.next_root as string));
        } catch {
          ids = undefined;
        }
      }
      if (ids && ids.every((id, i) => id === stored[i]!.id)) {
        const mmr = await this.mmrOf(stored[n - 1]!);
        return {
          stream,
          receipts: stored.map((e) => receiptOf(e)),
          texts: stored.map((e) => e.data),
          firstSequence: expectedLast + 1,
          nextExpectedRevision: expectedLast + n,
          mmr,
          idempotent: true,
        };
      }
    }
    const last = await this.store.readLast(stream);
    throw new WrongExpectedRevisionError(stream, req.expected, last ? last.revision : NO_STREAM);
  }
}

/**
 * The serialised queue of one stream, pipelined. Batches are built in order on the optimistic tip (the state after
 * the last built batch), signed concurrently, and handed to the store in order — as soon as the previous batch's
 * append is issued when the store applies appends in order, else after it completed. A failed batch stops the
 * pipeline: the appends of the batches behind it go back to the front of the queue and, once everything in flight
 * has settled, are checked again on the head reloaded from the store.
 */
class StreamLane {
  private queue: AppendRequest[] = [];
  private tip: Cursor | undefined;
  private inflight = 0;
  private seq = 0;
  private pumping = false;
  private halted = false;
  private parked: { seq: number; reqs: AppendRequest[] }[] = [];
  private previousIssued: Promise<void> = Promise.resolve();
  private previousDone: Promise<void> = Promise.resolve();
  private signing = 0;

  constructor(
    private readonly writer: ReceiptChainWriter,
    private readonly stream: string,
  ) {}

  enqueue(req: AppendRequest): void {
    this.queue.push(req);
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        if (this.halted) {
          if (this.inflight > 0) return;
          // Everything in flight has settled: put the parked appends back, in order, and start from the store again.
          this.parked.sort((a, b) => a.seq - b.seq);
          this.queue.unshift(...this.parked.flatMap((p) => p.reqs));
          this.parked = [];
          this.halted = false;
          this.tip = undefined;
          this.writer.setHead(this.stream, undefined);
        }
        // A new batch starts only when the signer can take it: appends arriving meanwhile join it, so batches grow
        // with the load instead of the pipeline filling with small ones (each one a commit).
        if (this.queue.length === 0 || this.inflight >= PIPELINE_DEPTH || this.signing >= this.writer.signingParallelism) return;
        if (!this.tip) {
          if (this.inflight > 0) return;
          try {
            this.tip = cursorFrom(await this.writer.headState(this.stream));
          } catch (e) {
            this.writer.setHead(this.stream, undefined);
            for (const r of this.queue.splice(0)) r.reject(e);
            return;
          }
          continue;
        }
        this.launch(this.tip);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Builds the next batch on the tip and sends it on its way. */
  private launch(tip: Cursor): void {
    const batch: AppendRequest[] = [];
    let count = 0;
    while (this.queue.length > 0 && (batch.length === 0 || count + this.queue[0]!.size <= this.writer.maxReceiptsPerCommit)) {
      const r = this.queue.shift()!;
      batch.push(r);
      count += r.size;
    }
    const seq = ++this.seq;
    const cursor = tip;
    const built: Built[] = [];
    const behind: AppendRequest[] = [];
    const ahead: AppendRequest[] = [];
    for (const req of batch) {
      const expectedLast = req.expected === NO_STREAM ? -1 : req.expected;
      if (expectedLast === cursor.revision) {
        try {
          built.push(this.writer.build(req, cursor));
        } catch (e) {
          req.reject(e);
        }
      } else if (expectedLast > cursor.revision && !req.rechecked) {
        // Ahead of what this writer knows: another writer may have moved the stream. Look again after a reload.
        req.rechecked = true;
        ahead.push(req);
      } else {
        behind.push(req);
      }
    }
    this.tip = cursor;
    const end: HeadState = { revision: cursor.revision, nextRoot: cursor.nextRoot, acc: cursor.acc.clone() };
    if (built.length > 0) {
      // The last receipt of every store append carries the peaks and root: whatever append ends the stream, its last
      // event is enough to resume from.
      const last = built[built.length - 1]!;
      const m = last.mmr[last.mmr.length - 1]!;
      m.peaks = last.after.peaks.map((p) => p.hash);
      m.root = last.after.root;
    }
    if (ahead.length > 0) {
      this.parked.push({ seq, reqs: ahead });
      this.halted = true;
    }
    const previous = this.previousIssued;
    const earlierDone = this.previousDone;
    let markIssued!: () => void;
    this.previousIssued = new Promise<void>((resolve) => (markIssued = resolve));
    this.inflight++;
    const done = this.complete(seq, built, behind, end, previous, earlierDone, markIssued).finally(() => {
      markIssued();
      this.inflight--;
      void this.pump();
    });
    this.previousDone = done.then(
      () => undefined,
      () => undefined,
    );
  }

  private async complete(
    seq: number,
    built: Built[],
    behind: AppendRequest[],
    end: HeadState,
    previous: Promise<void>,
    earlierDone: Promise<void>,
    markIssued: () => void,
  ): Promise<void> {
    if (built.length > 0) {
      let signed: { receipt: JsonObject; text: string }[];
      this.signing++;
      try {
        signed = await this.writer.sign(built);
      } catch (e) {
        for (const b of built) b.req.reject(e);
        await previous;
        this.halt(seq, behind);
        return;
      } finally {
        this.signing--;
        void this.pump();
      }
      await previous;
      if (this.halted) {
        // An earlier batch failed: this one was built on a head that may never exist.
        this.halt(seq, [...built.map((b) => b.req), ...behind]);
        return;
      }
      const append = this.writer.appendSigned(this.stream, built, signed);
      if (this.writer.store.appendsInOrder) markIssued();
      try {
        await append;
      } catch (e) {
        if (e instanceof WrongExpectedRevisionError) {
          this.halt(seq, [...built.map((b) => b.req), ...behind]);
        } else {
          for (const b of built) b.req.reject(e);
          this.halt(seq, behind);
        }
        return;
      }
      markIssued();
      if (!this.halted) this.writer.setHead(this.stream, end);
      let k = 0;
      for (const b of built) {
        const mine = signed.slice(k, (k += b.sealed.length));
        b.req.resolve(appendResult(this.stream, mine, b.firstSequence, b.after));
      }
    } else {
      await previous;
      markIssued();
    }
    // Appends whose expected revision is behind the tip: retries of stored appends, or conflicts — decided once
    // every earlier batch has settled, on what the store then holds.
    if (behind.length === 0) return;
    await earlierDone;
    if (this.halted) {
      this.halt(seq, behind);
      return;
    }
    for (const req of behind) {
      try {
        req.resolve(await this.writer.settle(this.stream, req));
      } catch (e) {
        req.reject(e);
      }
    }
  }

  private halt(seq: number, reqs: AppendRequest[]): void {
    this.halted = true;
    if (reqs.length > 0) this.parked.push({ seq, reqs });
  }
}

function receiptOf(event: StoredEvent): JsonObject {
  const value = parseJsonText(event.data);
  if (!isJsonObject(value)) throw new ChainIntegrityError(event.stream, `event at revision ${event.revision} does not hold a receipt`);
  return value;
}

/** The result of an append; its MMR root is bagged on first access only (most callers never look). */
function appendResult(stream: string, signed: readonly SignedReceiptText[], firstSequence: number, after: MmrAccumulator): AppendedReceipts {
  let mmr: AppendedReceipts['mmr'] | undefined;
  return {
    stream,
    receipts: signed.map((s) => s.receipt),
    texts: signed.map((s) => s.text),
    firstSequence,
    nextExpectedRevision: firstSequence + signed.length - 1,
    get mmr() {
      mmr ??= { size: after.size, root: after.root, peaks: after.peaks };
      return mmr;
    },
    idempotent: false,
  };
}

function publicHead(state: HeadState): ChainHead {
  return { revision: state.revision, nextRoot: state.nextRoot, mmr: { size: state.acc.size, root: state.acc.root, peaks: state.acc.peaks } };
}

/**
 * Appends next_roots to the cursor's MMR, returning each receipt's MMR metadata (the nodes its leaf created), and
 * moves the cursor to the last of them.
 */
function advance(cursor: Cursor, nextRoots: readonly string[]): ReceiptMmrMetadata[] {
  const mmr = nextRoots.map((nextRoot) => {
    const nodes: string[] = [];
    cursor.created.nodes = nodes;
    cursor.acc.appendNextRoot(nextRoot);
    return { size: cursor.acc.size, nodes };
  });
  cursor.revision += nextRoots.length;
  cursor.nextRoot = nextRoots[nextRoots.length - 1]!;
  return mmr;
}

/** A proof's `created`: the event time to the second (deterministic, so a retry signs identical bytes). */
function proofCreated(at: string): string {
  return utcSeconds(new Date(Date.parse(at)));
}
