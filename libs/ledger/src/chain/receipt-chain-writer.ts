import {
  MmrAccumulator,
  buildCheckpoint,
  canonicalize,
  checkpointDigest,
  computeNextRoot,
  makeTransitionEnvelope,
  mmrPeakHeights,
  sealReceipt,
  utcSeconds,
  type JsonObject,
  type JsonValue,
  type TransitionEnvelope,
} from '@corridor/protocol';
import { ChainIntegrityError, ChainRangeError, DuplicateEventIdError, InvalidAppendError, LedgerError, WrongExpectedRevisionError } from '../port/errors';
import { eventIdFromDigest } from '../port/event-id';
import { NO_STREAM, type EventStore, type ExpectedRevision } from '../port/event-store.port';
import type { ReceiptSigner } from '../signing/receipt-signer';
import { KeyedMutex } from '../util/keyed-mutex';
import { CORRIDOR_CHAIN_PROFILE, checkpointStream, normalizeChain, type ChainDescriptor, type ChainProfile, type NormalizedChain } from './chain-profile';
import { ReceiptChainReader, mmrFromStoredPeaks, type StoredCheckpoint } from './receipt-chain-reader';
import { receiptEvent, type StoredReceipt } from './receipt-events';

/** Injection token for the receipt-chain writer. */
export const RECEIPT_CHAIN_WRITER: unique symbol = Symbol.for('corridor-ledger.ReceiptChainWriter');

export interface ReceiptChainWriterOptions {
  readonly store: EventStore;
  readonly signer: ReceiptSigner;
  readonly profile?: ChainProfile;
  /** Source of receipt timestamps when an append does not give one. */
  readonly clock?: () => Date;
  /** Upper bound of receipts written by one store append (requests queued for one stream are batched). Default 512. */
  readonly maxReceiptsPerCommit?: number;
}

export interface ChainAppendOptions {
  /**
   * The stream revision (= sequence of the last receipt) the caller's decision was based on, or `no_stream`.
   * A mismatch is a `WrongExpectedRevisionError`. Without it, the receipts go at the head, whatever it is.
   */
  readonly expectedRevision?: ExpectedRevision;
  /**
   * Receipt timestamp (RFC 3339); default: the clock, to the second. Give it to make the receipts
   * deterministic: re-sending the same append (same expected revision, transitions and timestamp) is then
   * recognised as a retry and returns the receipts already stored.
   */
  readonly timestamp?: string;
}

export interface AppendedReceipt {
  readonly sequence: number;
  readonly eventId: string;
  readonly nextRoot: string;
  /** The signed receipt. */
  readonly receipt: JsonObject;
  /** Its canonical JSON text, as stored. */
  readonly text: string;
}

export interface ChainAppendResult {
  readonly stream: string;
  readonly receipts: readonly AppendedReceipt[];
  /** Revision (= sequence) of the last receipt: the expected revision of the next append. */
  readonly nextExpectedRevision: number;
  /** MMR after these receipts. */
  readonly mmr: { readonly size: number; readonly root: string };
  /** True when the receipts were already stored by an earlier attempt of the same append. */
  readonly idempotent: boolean;
}

export interface ChainHead {
  readonly stream: string;
  /** Sequence of the last receipt; -1 for an empty chain. */
  readonly sequence: number;
  /** prev_root of the next receipt: the last next_root, or the genesis root. */
  readonly nextPrevRoot: string;
  readonly mmr: { readonly size: number; readonly root: string; readonly peaks: { height: number; hash: string }[] };
}

export interface CutCheckpointOptions {
  /** Receipt count the checkpoint commits to; default: the current head. */
  readonly height?: number;
  /** Checkpoint timestamp; default: the clock, to the second. */
  readonly timestamp?: string;
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

function cursorFrom(head: HeadState): Cursor {
  const created = { nodes: [] as string[] };
  const acc = head.acc.clone({ onNode: (_position, hash) => created.nodes.push(hash.toString('hex')) });
  return { revision: head.revision, nextRoot: head.nextRoot, acc, created };
}

interface AppendRequest {
  readonly chain: NormalizedChain;
  readonly envelopes: TransitionEnvelope[];
  readonly expected: ExpectedRevision | undefined;
  readonly timestamp: string | undefined;
  attempts: number;
  readonly resolve: (r: ChainAppendResult) => void;
  readonly reject: (e: unknown) => void;
}

interface Built {
  readonly req: AppendRequest;
  readonly sealed: JsonObject[];
  readonly created: string[];
  readonly metas: { leafIndex: number; nodes: string[]; peaks: string[] }[];
  readonly mmr: { size: number; root: string };
}

/** Retries of an append without expected revision after another writer moved the stream. */
const MAX_ATTEMPTS = 5;

/**
 * The receipt-chain writer: appending domain events to an aggregate's chain produces the next signed receipts
 * (prev_root → next_root), extends the stream's MMR, and stores receipts and MMR nodes in one atomic append.
 *
 * - The head (last next_root, sequence, MMR peaks) is loaded from the stream's last event: O(1), no replay.
 * - Appends to one stream are serialised by a per-stream lane; requests queued while a batch is being signed and
 *   committed form the next batch (one store append, one commit). Different streams proceed in parallel.
 * - Receipts are built with the protocol (`makeTransitionEnvelope`, `sealReceipt`, `MmrAccumulator`) and signed by
 *   the `ReceiptSigner` (optionally in worker threads).
 */
export class ReceiptChainWriter {
  readonly profile: ChainProfile;
  readonly reader: ReceiptChainReader;
  private readonly store: EventStore;
  private readonly signer: ReceiptSigner;
  private readonly clock: () => Date;
  private readonly maxReceipts: number;
  private readonly lanes = new Map<string, StreamLane>();
  private readonly checkpointLocks = new KeyedMutex();

  constructor(options: ReceiptChainWriterOptions) {
    this.store = options.store;
    this.signer = options.signer;
    this.profile = options.profile ?? CORRIDOR_CHAIN_PROFILE;
    this.clock = options.clock ?? (() => new Date());
    this.maxReceipts = options.maxReceiptsPerCommit ?? 512;
    this.reader = new ReceiptChainReader(this.store, this.profile, this.clock);
  }

  /**
   * Appends one receipt per transition (`{kind, payload}` or anything `makeTransitionEnvelope` accepts) to the
   * chain, atomically.
   */
  append(chain: ChainDescriptor, transitions: readonly JsonValue[], options: ChainAppendOptions = {}): Promise<ChainAppendResult> {
    let request: Omit<AppendRequest, 'resolve' | 'reject'>;
    try {
      const normalized = normalizeChain(this.profile, chain);
      if (!Array.isArray(transitions) || transitions.length === 0) throw new InvalidAppendError('an append needs at least one transition');
      if (transitions.length > this.maxReceipts) throw new InvalidAppendError(`an append takes at most ${this.maxReceipts} transitions`);
      const envelopes = transitions.map((t) => {
        try {
          return makeTransitionEnvelope(t);
        } catch (e) {
          throw new InvalidAppendError(`invalid transition: ${(e as Error).message}`, { cause: e });
        }
      });
      if (options.timestamp !== undefined && (typeof options.timestamp !== 'string' || Number.isNaN(Date.parse(options.timestamp)))) {
        throw new InvalidAppendError(`timestamp must be an RFC 3339 date-time, got ${JSON.stringify(options.timestamp)}`);
      }
      const expected = options.expectedRevision;
      if (expected !== undefined && expected !== NO_STREAM && !(Number.isSafeInteger(expected) && expected >= 0)) {
        throw new InvalidAppendError(`expectedRevision must be "${NO_STREAM}" or a revision >= 0`);
      }
      request = { chain: normalized, envelopes, expected, timestamp: options.timestamp, attempts: 0 };
    } catch (e) {
      return Promise.reject(e);
    }
    const stream = this.reader.streamOf(request.chain.id);
    let lane = this.lanes.get(stream);
    if (!lane) {
      lane = new StreamLane(this, stream, request.chain);
      this.lanes.set(stream, lane);
    } else if (!sameChain(lane.chain, request.chain)) {
      return Promise.reject(new InvalidAppendError(`chain ${request.chain.id} was opened with a different genesis root, digest sets or receipt fields`));
    }
    const target = lane;
    return new Promise<ChainAppendResult>((resolve, reject) => target.enqueue({ ...request, resolve, reject }));
  }

  /** The chain's head as this writer sees it (loaded from the store if this writer has not touched it yet). */
  async head(chain: ChainDescriptor): Promise<ChainHead> {
    const normalized = normalizeChain(this.profile, chain);
    const stream = this.reader.streamOf(normalized.id);
    const state = await this.loadHead(stream, normalized);
    return {
      stream,
      sequence: state.revision,
      nextPrevRoot: state.nextRoot,
      mmr: { size: state.acc.size, root: state.acc.root, peaks: state.acc.peaks },
    };
  }

  /**
   * Cuts a checkpoint at `height` receipts (any height from 1 to the head), signs it with the node's key and stores
   * it in the chain's checkpoint stream. Cutting the same checkpoint again (same height and timestamp) returns the
   * stored one.
   */
  async cutCheckpoint(chain: ChainDescriptor, options: CutCheckpointOptions = {}): Promise<StoredCheckpoint> {
    const normalized = normalizeChain(this.profile, chain);
    const id = normalized.id;
    const stream = this.reader.streamOf(id);
    const size = options.height ?? (await this.reader.size(id));
    if (!Number.isSafeInteger(size) || size < 1) throw new ChainRangeError(stream, `a checkpoint needs a height of at least 1, got ${size}`);
    const last = await this.reader.requireReceipt(id, size - 1, `checkpoint at height ${size}`);
    const first = size === 1 ? last : await this.reader.requireReceipt(id, 0, `checkpoint at height ${size}`);
    if (first.receipt.prev_root !== normalized.genesisRoot) {
      throw new InvalidAppendError(`chain ${id} does not start at the given genesis root`);
    }
    const timestamp = options.timestamp ?? utcSeconds(this.clock());
    const base = buildCheckpoint({
      corridor_id: id,
      timestamp,
      genesis_root: normalized.genesisRoot,
      final_state_root: last.nextRoot,
      receipt_count: size,
      lawpack_digest_set: (first.receipt.lawpack_digest_set as string[]) ?? [],
      ruleset_digest_set: (first.receipt.ruleset_digest_set as string[]) ?? [],
      mmr: mmrFromStoredPeaks(last),
    });
    const unsigned = this.adaptCheckpoint(base, id);
    const [signed] = await this.signer.sign([unsigned], [proofCreated(timestamp, this.clock)]);
    const digest = checkpointDigest(signed!.receipt);
    const cpStream = checkpointStream(this.profile, id);
    const event = { id: eventIdFromDigest(digest), type: this.profile.checkpointType, data: signed!.text, metadata: { receipt_count: size } };
    return this.checkpointLocks.run(cpStream, async () => {
      const previous = await this.store.readLast(cpStream);
      if (previous?.id === event.id) return this.reader.decodeCheckpoint(previous);
      try {
        await this.store.append(cpStream, [event], previous ? previous.revision : NO_STREAM);
      } catch (e) {
        if (!(e instanceof DuplicateEventIdError)) throw e;
        const existing = (await this.reader.checkpoints(id)).find((c) => c.eventId === event.id);
        if (existing) return existing;
        throw e;
      }
      const stored = await this.store.readLast(cpStream);
      return this.reader.decodeCheckpoint(stored!);
    });
  }

  /** The protocol builds corridor checkpoints; other profiles rename the type and the id field. */
  private adaptCheckpoint(base: JsonObject, id: string): JsonObject {
    if (this.profile.idField === 'corridor_id' && this.profile.checkpointType === base.type) return base;
    const { corridor_id: _omit, ...rest } = base;
    void _omit;
    return { ...rest, type: this.profile.checkpointType, [this.profile.idField]: id };
  }

  /** Reads and checks the head from the stream's last receipt (and the genesis link from its first). */
  async loadHead(stream: string, chain: NormalizedChain): Promise<HeadState> {
    const last = await this.reader.headReceipt(chain.id);
    if (!last) return { revision: -1, nextRoot: chain.genesisRoot, acc: new MmrAccumulator() };
    const r = last.receipt;
    if (r.type !== this.profile.receiptType || r[this.profile.idField] !== chain.id) {
      throw new ChainIntegrityError(stream, `the last receipt is not a ${this.profile.receiptType} of ${chain.id}`);
    }
    if (computeNextRoot(r) !== last.nextRoot) throw new ChainIntegrityError(stream, `the last receipt's next_root does not match its content`);
    if (!sameSet(r.lawpack_digest_set, chain.lawpackDigestSet) || !sameSet(r.ruleset_digest_set, chain.rulesetDigestSet)) {
      throw new InvalidAppendError(`chain ${chain.id} is stored with other digest sets than the ones given`);
    }
    const first = last.sequence === 0 ? last : await this.reader.requireReceipt(chain.id, 0, 'chain head');
    if (first.receipt.prev_root !== chain.genesisRoot) throw new InvalidAppendError(`chain ${chain.id} does not start at the given genesis root`);
    const size = last.sequence + 1;
    const heights = mmrPeakHeights(size);
    if (last.mmr.peaks.length !== heights.length || last.mmr.peaks[last.mmr.peaks.length - 1] !== last.mmr.nodes[last.mmr.nodes.length - 1]) {
      throw new ChainIntegrityError(stream, `the MMR peaks stored with receipt ${last.sequence} do not fit size ${size}`);
    }
    const acc = MmrAccumulator.fromPeaks(
      size,
      heights.map((height, i) => ({ height, hash: last.mmr.peaks[i]! })),
    );
    return { revision: last.sequence, nextRoot: last.nextRoot, acc };
  }

  /** Builds the sealed receipts of one request on top of `cursor` (advancing it). */
  buildReceipts(req: AppendRequest, cursor: Cursor): Built {
    const chain = req.chain;
    const sealed: JsonObject[] = [];
    const created: string[] = [];
    const metas: Built['metas'] = [];
    const timestamp = req.timestamp ?? utcSeconds(this.clock());
    const proofTime = proofCreated(timestamp, this.clock);
    const acc = cursor.acc;
    for (const transition of req.envelopes) {
      const sequence = cursor.revision + 1;
      const receipt = sealReceipt({
        type: this.profile.receiptType,
        [this.profile.idField]: chain.id,
        sequence,
        timestamp,
        prev_root: cursor.nextRoot,
        lawpack_digest_set: chain.lawpackDigestSet,
        ruleset_digest_set: chain.rulesetDigestSet,
        transition,
        ...chain.receiptFields,
      });
      const nodes: string[] = [];
      cursor.created.nodes = nodes;
      acc.appendNextRoot(receipt.next_root);
      sealed.push(receipt);
      created.push(proofTime);
      metas.push({ leafIndex: sequence, nodes, peaks: acc.peaks.map((p) => p.hash) });
      cursor.revision = sequence;
      cursor.nextRoot = receipt.next_root;
    }
    return { req, sealed, created, metas, mmr: { size: acc.size, root: acc.root } };
  }

  async commit(stream: string, expected: number, built: Built[]): Promise<SignedBatch> {
    const all = built.flatMap((b) => b.sealed);
    const created = built.flatMap((b) => b.created);
    const signed = await this.signer.sign(all, created);
    const metas = built.flatMap((b) => b.metas);
    const events = signed.map((s, i) => receiptEvent(this.profile, s.text, all[i]!.next_root as string, metas[i]!));
    await this.store.append(stream, events, expected === -1 ? NO_STREAM : expected);
    return { signed, events };
  }

  /**
   * An append whose expected revision is behind the head: a retry if the receipts it would produce (from the stored
   * chain at the expected revision) are exactly the ones stored after it; otherwise a conflict.
   */
  async settleMismatch(stream: string, req: AppendRequest, head: HeadState): Promise<ChainAppendResult> {
    const expectedLast = req.expected === NO_STREAM ? -1 : req.expected!;
    const actual = head.revision === -1 ? NO_STREAM : head.revision;
    const conflict = new WrongExpectedRevisionError(stream, req.expected!, actual);
    if (expectedLast > head.revision || req.timestamp === undefined) throw conflict;
    const n = req.envelopes.length;
    const stored = await this.reader.receipts(req.chain.id, { fromSequence: expectedLast + 1, maxCount: n });
    if (stored.length !== n) throw conflict;
    const before = expectedLast === -1 ? undefined : await this.reader.requireReceipt(req.chain.id, expectedLast, 'retry check');
    const cursor = cursorFrom({
      revision: expectedLast,
      nextRoot: before ? before.nextRoot : req.chain.genesisRoot,
      acc: before ? MmrAccumulator.fromPeaks(expectedLast + 1, mmrFromStoredPeaks(before).peaks) : new MmrAccumulator(),
    });
    const rebuilt = this.buildReceipts(req, cursor);
    if (!rebuilt.sealed.every((r, i) => r.next_root === stored[i]!.nextRoot)) throw conflict;
    const last = stored[n - 1]!;
    return {
      stream,
      receipts: stored.map(toAppended),
      nextExpectedRevision: last.sequence,
      mmr: { size: rebuilt.mmr.size, root: rebuilt.mmr.root },
      idempotent: true,
    };
  }

  get maxReceiptsPerCommit(): number {
    return this.maxReceipts;
  }
}

interface SignedBatch {
  signed: { receipt: JsonObject; text: string }[];
  events: { id: string }[];
}

/**
 * The serialised queue of one stream. One batch at a time: take the queued requests (up to the receipt limit),
 * build their receipts on the head, sign, append with the head's revision as expected revision, then advance the
 * head. A failed append drops the cached head, which is reloaded from the store before the next batch.
 */
class StreamLane {
  private queue: AppendRequest[] = [];
  private running = false;
  private head: HeadState | undefined;

  constructor(
    private readonly writer: ReceiptChainWriter,
    private readonly stream: string,
    readonly chain: NormalizedChain,
  ) {}

  enqueue(req: AppendRequest): void {
    this.queue.push(req);
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0) await this.processBatch();
    } finally {
      this.running = false;
    }
  }

  private async processBatch(): Promise<void> {
    let head: HeadState;
    try {
      head = this.head ?? (await this.writer.loadHead(this.stream, this.chain));
      this.head = head;
    } catch (e) {
      for (const r of this.queue.splice(0)) r.reject(e);
      return;
    }
    const limit = this.writer.maxReceiptsPerCommit;
    const batch: AppendRequest[] = [];
    let count = 0;
    while (this.queue.length > 0 && (batch.length === 0 || count + this.queue[0]!.envelopes.length <= limit)) {
      const r = this.queue.shift()!;
      batch.push(r);
      count += r.envelopes.length;
    }
    const cursor = cursorFrom(head);
    const built: Built[] = [];
    const mismatched: AppendRequest[] = [];
    for (const req of batch) {
      if (req.expected !== undefined && (req.expected === NO_STREAM ? -1 : req.expected) !== cursor.revision) {
        mismatched.push(req);
        continue;
      }
      try {
        built.push(this.writer.buildReceipts(req, cursor));
      } catch (e) {
        req.reject(e instanceof LedgerError ? e : new InvalidAppendError(`cannot build receipts: ${(e as Error).message}`, { cause: e }));
        // The cursor may be half advanced: rebuild this batch from the head without the failed request.
        this.queue.unshift(...batch.filter((r) => r !== req && !mismatched.includes(r)));
        this.queue.unshift(...mismatched);
        return;
      }
    }
    if (built.length > 0) {
      try {
        const { signed, events } = await this.writer.commit(this.stream, head.revision, built);
        this.head = { revision: cursor.revision, nextRoot: cursor.nextRoot, acc: cursor.acc.clone() };
        let i = 0;
        for (const b of built) {
          const receipts: AppendedReceipt[] = b.sealed.map((s) => {
            const k = i++;
            return { sequence: s.sequence as number, eventId: events[k]!.id, nextRoot: s.next_root as string, receipt: signed[k]!.receipt, text: signed[k]!.text };
          });
          b.req.resolve({ stream: this.stream, receipts, nextExpectedRevision: receipts[receipts.length - 1]!.sequence, mmr: b.mmr, idempotent: false });
        }
      } catch (e) {
        this.head = undefined;
        if (e instanceof WrongExpectedRevisionError) {
          // Another writer moved the stream. Requests without an expected revision are retried on the new head;
          // the others are settled against it (a retry of theirs may be what moved it).
          const retry = built.map((b) => b.req).filter((r) => r.expected === undefined && ++r.attempts < MAX_ATTEMPTS);
          const exhausted = built.map((b) => b.req).filter((r) => r.expected === undefined && !retry.includes(r));
          for (const r of exhausted) r.reject(e);
          mismatched.push(...built.map((b) => b.req).filter((r) => r.expected !== undefined));
          this.queue.unshift(...retry);
        } else {
          for (const b of built) b.req.reject(e);
        }
      }
    }
    for (const req of mismatched) {
      try {
        const current = this.head ?? (await this.writer.loadHead(this.stream, this.chain));
        this.head = current;
        if ((req.expected === NO_STREAM ? -1 : req.expected) === current.revision) {
          this.queue.unshift(req);
          continue;
        }
        req.resolve(await this.writer.settleMismatch(this.stream, req, current));
      } catch (e) {
        req.reject(e);
      }
    }
  }
}

function toAppended(r: StoredReceipt): AppendedReceipt {
  return { sequence: r.sequence, eventId: r.eventId, nextRoot: r.nextRoot, receipt: r.receipt, text: r.text };
}

/** The proof's `created` (seconds, UTC) for a receipt timestamp: deterministic, so a retry signs identical bytes. */
function proofCreated(timestamp: string, clock: () => Date): string {
  const t = Date.parse(timestamp);
  return utcSeconds(Number.isNaN(t) ? clock() : new Date(t));
}

function sameChain(a: NormalizedChain, b: NormalizedChain): boolean {
  return (
    a.id === b.id &&
    a.genesisRoot === b.genesisRoot &&
    a.lawpackDigestSet.join() === b.lawpackDigestSet.join() &&
    a.rulesetDigestSet.join() === b.rulesetDigestSet.join() &&
    canonicalize(a.receiptFields) === canonicalize(b.receiptFields)
  );
}

function sameSet(stored: unknown, expected: readonly string[]): boolean {
  if (!Array.isArray(stored)) return false;
  const s = new Set(stored);
  return s.size === expected.length && expected.every((d) => s.has(d));
}
