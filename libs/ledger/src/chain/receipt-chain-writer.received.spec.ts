import * as path from 'node:path';
import fc from 'fast-check';
import {
  addProof,
  canonicalize,
  computeNextRoot,
  Ed25519KeyPair,
  parseJsonText,
  sha256Hex,
  verifyProofs,
  withoutKeys,
  type JsonObject,
  type JsonValue,
} from '@corridor/protocol';
import { startFakeEventStore } from '../../../../test/fakes/eventstore/fake-eventstore-server';
import { chainEvent, NODE_KEY, profileFor, recomputedRoot, tempDir, verifyStoredChain } from '../../test/support/chain-fixtures';
import { EsdbEventStore } from '../esdb/esdb-event-store';
import { InvalidAppendError, WrongExpectedRevisionError } from '../port/errors';
import { NO_STREAM, type EventStore, type ExpectedRevision, type StoredEvent } from '../port/event-store.port';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import type { ChainEvent, ChainProfile } from './chain-profile';
import { mmrMetadataOf } from './mmr-metadata';
import type { ReceivedReceipt } from './received-receipts';
import { ReceiptChainWriter, type AppendedReceipts, type ReceiptChainWriterOptions } from './receipt-chain-writer';

/** Node A is the corridor's sequencer (it builds and signs); node B keeps its own copy of the chain. */
const KEY_A = NODE_KEY;
const KEY_B = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 9), 'node-2');
const ID = 'org.example.shared';
const PROFILE = profileFor(ID);
const STREAM = `corridor-${ID}`;

interface OpenStore {
  readonly store: EventStore;
  close(): Promise<void>;
}

interface StoreKind {
  readonly name: string;
  open(): Promise<OpenStore>;
}

const sqliteKind: StoreKind = {
  name: 'SQLite',
  open: async () => {
    const store = SqliteEventStore.open({ path: path.join(tempDir('chain-received-'), 'ledger.sqlite') });
    return { store, close: () => store.close() };
  },
};

const esdbFakeKind: StoreKind = {
  name: 'the EventStoreDB adapter on the gRPC fake',
  open: async () => {
    const fake = await startFakeEventStore({ batchAppend: true });
    const store = EsdbEventStore.connect(fake.connectionString);
    return {
      store,
      close: async () => {
        await store.close();
        await fake.stop();
      },
    };
  },
};

const received = (events: readonly StoredEvent[]): ReceivedReceipt[] => events.map((e) => ({ type: e.type, receipt: parseJsonText(e.data) as JsonObject }));
const after = (n: number): ExpectedRevision => (n === 0 ? NO_STREAM : n - 1);

/** Appends `events` in appends of the given sizes, one after the other; returns the results. */
async function appendInChunks(writer: ReceiptChainWriter, stream: string, events: readonly ChainEvent[], chunks: readonly number[]): Promise<AppendedReceipts[]> {
  const results: AppendedReceipts[] = [];
  let at = 0;
  for (const n of chunks) {
    results.push(await writer.append(stream, PROFILE, events.slice(at, at + n), after(at)));
    at += n;
  }
  return results;
}

/** Chunk sizes covering `total`, from a list of sizes used in turn. */
function chunking(total: number, sizes: readonly number[]): number[] {
  const out: number[] = [];
  for (let at = 0, k = 0; at < total; k++) {
    const n = Math.min(sizes[k % sizes.length]!, total - at);
    out.push(n);
    at += n;
  }
  return out;
}

/** The receipt with `change` applied, `next_root` recomputed and signed again by the sequencer's key (a bad receipt the sequencer itself signed). */
function resigned(receipt: JsonObject, change: (r: JsonObject) => void): JsonObject {
  const copy = structuredClone(withoutKeys(receipt, 'proof')) as JsonObject;
  change(copy);
  copy.next_root = computeNextRoot(copy);
  return addProof(copy, KEY_A, { created: (receipt.proof as JsonObject).created as string });
}

function edited(receipt: JsonObject, change: (r: JsonObject) => void): JsonObject {
  const copy = structuredClone(receipt);
  change(copy);
  return copy;
}

function flipHex(digest: string, at = 0): string {
  const c = digest[at] === '0' ? '1' : '0';
  return digest.slice(0, at) + c + digest.slice(at + 1);
}

/** Everything a reader serves about a stream, to compare two copies of one chain. */
async function readerView(writer: ReceiptChainWriter, stream: string) {
  const head = (await writer.head(stream))!;
  const n = head.mmr.size;
  const receipts = await writer.receipts(stream);
  const single = await Promise.all(receipts.map((_, i) => writer.receipt(stream, i)));
  const mmrs = [];
  for (let size = 1; size <= n; size++) mmrs.push(await writer.mmrAt(stream, size));
  const inclusion = [];
  for (const size of new Set([1, 2, 3, Math.ceil(n / 2), n - 1, n].filter((s) => s >= 1 && s <= n))) {
    for (let i = 0; i < size; i++) inclusion.push(await writer.inclusionProof(stream, i, size));
  }
  const consistency = [];
  for (const [m, k] of [[1, n], [2, n], [Math.floor(n / 3) || 1, n - 1], [n, n]] as const) consistency.push(await writer.consistencyProof(stream, m, k));
  const checkpoints = [];
  for (const height of new Set([1, Math.ceil(n / 2), n])) checkpoints.push(await writer.unsignedCheckpoint(stream, { height }));
  return { head, receipts, single, mmrs, inclusion, consistency, checkpoints };
}

/** The stored events of a stream, without what only the store decides (positions, record times). */
async function storedView(store: EventStore, stream: string) {
  return (await store.read(stream)).map((e) => ({ revision: e.revision, id: e.id, type: e.type, data: e.data, metadata: e.metadata }));
}

describe.each([sqliteKind, esdbFakeKind])('ReceiptChainWriter.appendReceived on $name', (kind: StoreKind) => {
  let a: OpenStore;
  let b: OpenStore;
  beforeEach(async () => {
    a = await kind.open();
    b = await kind.open();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it("replicates the sequencer's chain byte for byte: same data, ids, MMR metadata, roots, proofs and checkpoints", async () => {
    const writerA = new ReceiptChainWriter(a.store, KEY_A);
    const writerB = new ReceiptChainWriter(b.store, KEY_B);
    const events = Array.from({ length: 37 }, (_, i) => chainEvent(i, { note: i % 5 === 0 ? 'é😀' : 'x' }));
    const chunks = [1, 3, 1, 7, 2, 5, 1, 1, 4, 12];
    const resultsA = await appendInChunks(writerA, STREAM, events, chunks);
    const storedA = await a.store.read(STREAM);

    // The same appends on B, from the receipts A stored.
    let at = 0;
    for (const [k, n] of chunks.entries()) {
      const r = await writerB.appendReceived(STREAM, PROFILE, received(storedA.slice(at, at + n)), after(at));
      expect(r.idempotent).toBe(false);
      expect(r.firstSequence).toBe(at);
      expect(r.nextExpectedRevision).toBe(at + n - 1);
      expect(r.receipts).toEqual(resultsA[k]!.receipts);
      expect(r.mmr).toEqual(resultsA[k]!.mmr);
      at += n;
    }

    expect(await storedView(b.store, STREAM)).toEqual(await storedView(a.store, STREAM));
    // Signed by A, not by B: the receipts keep the sequencer's proof.
    for (const r of await writerB.receipts(STREAM)) expect(verifyProofs(r)).toEqual([{ verificationMethod: KEY_A.verificationMethod, ok: true }]);
    const verification = await verifyStoredChain(b.store, STREAM, ID);
    expect(verification.errors).toEqual([]);
    expect(verification.result!.mmr.root).toBe(recomputedRoot(await writerB.receipts(STREAM)));

    // Every reader serves the same on both copies, also from a writer that starts from the store alone.
    const viewA = await readerView(new ReceiptChainWriter(a.store, KEY_A), STREAM);
    expect(await readerView(writerB, STREAM)).toEqual(viewA);
    expect(await readerView(new ReceiptChainWriter(b.store, KEY_B), STREAM)).toEqual(viewA);
    const checkpoint = await writerB.checkpoint(STREAM, { height: 20 });
    expect(withoutKeys(checkpoint, 'proof')).toEqual(await writerA.unsignedCheckpoint(STREAM, { height: 20 }));
    expect(verifyProofs(checkpoint)).toEqual([{ verificationMethod: KEY_B.verificationMethod, ok: true }]);
    await writerA.close();
    await writerB.close();
  });

  it('replicates in other batches than the sequencer used: same data and ids, same MMR nodes and roots', async () => {
    const writerA = new ReceiptChainWriter(a.store, KEY_A);
    const writerB = new ReceiptChainWriter(b.store, KEY_B);
    const events = Array.from({ length: 30 }, (_, i) => chainEvent(100 + i));
    await appendInChunks(writerA, STREAM, events, [30]);
    const storedA = await a.store.read(STREAM);
    // One receipt per append, all issued at once: the lane batches and pipelines them.
    const results = await Promise.all(storedA.map((e, i) => writerB.appendReceived(STREAM, PROFILE, received([e]), after(i))));
    expect(results.map((r) => r.firstSequence)).toEqual(storedA.map((e) => e.revision));
    const storedB = await b.store.read(STREAM);
    expect(storedB.map((e) => [e.id, e.type, e.data])).toEqual(storedA.map((e) => [e.id, e.type, e.data]));
    expect(storedB.map((e) => mmrMetadataOf(e).nodes)).toEqual(storedA.map((e) => mmrMetadataOf(e).nodes));
    expect(await readerView(writerB, STREAM)).toEqual(await readerView(writerA, STREAM));
  });

  it('interleaves received receipts with local appends on one stream, in one pipelined lane', async () => {
    const segments = handOverSegments();
    const truth = await sequentialTruth(segments);
    const writerB = new ReceiptChainWriter(b.store, KEY_B, { maxReceiptsPerCommit: 4 });
    // All issued in one turn: batches mix received and local requests, and several are in flight at once.
    const results = await Promise.all(issueOnB(writerB, segments, truth));
    expect(results.map((r) => r.idempotent)).toEqual(segments.map(() => false));
    expect(results.map((r) => r.firstSequence)).toEqual(truth.segmentStarts);
    await expectSameChain(b.store, truth.store);
    await truth.close();
  });
});

/** Node B writes part of the chain itself (e.g. after a sequencer hand-over), receives the rest from A. */
interface Segment {
  readonly by: 'A' | 'B';
  readonly events: ChainEvent[];
}

function handOverSegments(): Segment[] {
  let n = 0;
  const seg = (by: 'A' | 'B', count: number): Segment => ({ by, events: Array.from({ length: count }, () => chainEvent(n++)) });
  return [seg('A', 3), seg('B', 1), seg('B', 2), seg('A', 1), seg('A', 4), seg('B', 3), seg('A', 2), seg('B', 1), seg('A', 1)];
}

/** The chain the segments make, written one append at a time by A's and B's writers on a scratch store. */
async function sequentialTruth(segments: readonly Segment[], stream = STREAM) {
  const scratch = await sqliteKind.open();
  const writers = { A: new ReceiptChainWriter(scratch.store, KEY_A), B: new ReceiptChainWriter(scratch.store, KEY_B) };
  const segmentStarts: number[] = [];
  let at = 0;
  for (const s of segments) {
    segmentStarts.push(at);
    await writers[s.by].append(stream, PROFILE, s.events, after(at));
    at += s.events.length;
  }
  const stored = await scratch.store.read(stream);
  return { store: scratch.store, stored, segmentStarts, close: () => scratch.close() };
}

function issueOnB(writerB: ReceiptChainWriter, segments: readonly Segment[], truth: { stored: StoredEvent[]; segmentStarts: number[] }, stream = STREAM): Promise<AppendedReceipts>[] {
  return segments.map((s, k) => {
    const start = truth.segmentStarts[k]!;
    return s.by === 'B'
      ? writerB.append(stream, PROFILE, s.events, after(start))
      : writerB.appendReceived(stream, PROFILE, received(truth.stored.slice(start, start + s.events.length)), after(start));
  });
}

async function expectSameChain(store: EventStore, truth: EventStore, stream = STREAM, truthStream = STREAM): Promise<void> {
  const got = await store.read(stream);
  const want = await truth.read(truthStream);
  expect(got.map((e) => [e.revision, e.id, e.type, e.data])).toEqual(want.map((e) => [e.revision, e.id, e.type, e.data]));
  expect(got.map((e) => mmrMetadataOf(e).nodes)).toEqual(want.map((e) => mmrMetadataOf(e).nodes));
  const verification = await verifyStoredChain(store, stream, ID);
  expect(verification.errors).toEqual([]);
  expect(verification.valid).toBe(true);
}

describe('ReceiptChainWriter.appendReceived: checks, retries, conflicts', () => {
  let a: OpenStore;
  let b: OpenStore;
  let writerA: ReceiptChainWriter;
  let writerB: ReceiptChainWriter;
  /** A's chain: 8 receipts. */
  let chain: ReceivedReceipt[];
  /** Another chain of the same corridor (a fork): other events from sequence 0. */
  let fork: ReceivedReceipt[];

  beforeAll(async () => {
    a = await sqliteKind.open();
    writerA = new ReceiptChainWriter(a.store, KEY_A);
    await appendInChunks(writerA, STREAM, Array.from({ length: 8 }, (_, i) => chainEvent(i)), [3, 5]);
    chain = received(await a.store.read(STREAM));
    await writerA.append('fork', PROFILE, Array.from({ length: 5 }, (_, i) => chainEvent(500 + i)), NO_STREAM);
    fork = received(await a.store.read('fork'));
  });
  afterAll(() => a.close());
  beforeEach(async () => {
    b = await sqliteKind.open();
    writerB = new ReceiptChainWriter(b.store, KEY_B);
  });
  afterEach(() => b.close());

  /** B holds the first three receipts; `attempt` must be refused naming receipt `sequence` and `check`, storing nothing. */
  async function expectRefused(attempt: () => Promise<unknown>, check: RegExp, sequence = 3): Promise<void> {
    if (!(await b.store.readLast(STREAM))) await writerB.appendReceived(STREAM, PROFILE, chain.slice(0, 3), NO_STREAM);
    const before = await storedView(b.store, STREAM);
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidAppendError);
    expect((error as Error).message).toMatch(new RegExp(`^receipt ${sequence}: `));
    expect((error as Error).message).toMatch(check);
    expect(await storedView(b.store, STREAM)).toEqual(before);
    expect((await writerB.head(STREAM))!.revision).toBe(before.length - 1);
  }

  const r = (i: number) => chain[i]!.receipt;
  const one = (receipt: JsonObject, type = chain[3]!.type): ReceivedReceipt[] => [{ type, receipt }];
  const give = (receipts: readonly unknown[], expected: ExpectedRevision = 2) => writerB.appendReceived(STREAM, PROFILE, receipts as ReceivedReceipt[], expected);

  it('refuses a receipt out of sequence', async () => {
    await expectRefused(() => give(one(r(4))), /sequence is 4, expected 3/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.sequence = '3')))), /sequence must be a safe integer/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.sequence = (2n ** 60n) as unknown as number)))), /sequence must be a safe integer/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.sequence = -1)))), /sequence is -1, expected 3/);
    // Within one append too: receipts 3, 5.
    await expectRefused(() => give([chain[3], chain[5]]), /^receipt 4: sequence is 5, expected 4/, 4);
  });

  it("refuses a prev_root that does not continue the head, the previous receipt, or the genesis", async () => {
    const head = r(2).next_root as string;
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.prev_root = flipHex(x.prev_root as string))))), new RegExp(`prev_root [0-9a-f]{16}… does not continue the head ${head.slice(0, 16)}…`));
    // A fork's receipt 3, validly signed: its prev_root is the fork's receipt 2.
    await expectRefused(() => give([fork[3]!]), /prev_root .* does not continue the head/);
    await expectRefused(() => give([chain[3], { ...chain[4]!, receipt: resigned(r(4), (x) => (x.prev_root = fork[3]!.receipt.next_root!)) }]), /^receipt 4: prev_root .* does not continue receipt 3/, 4);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.prev_root = 'G'.repeat(64))))), /prev_root must be a digest/);
    // Sequence 0 must start from the genesis root.
    const freshStream = 'corridor-fresh';
    const refused = await writerB.appendReceived(freshStream, PROFILE, [{ type: chain[0]!.type, receipt: resigned(r(0), (x) => (x.prev_root = sha256Hex('other genesis'))) }], NO_STREAM).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(InvalidAppendError);
    expect((refused as Error).message).toMatch(/^receipt 0: prev_root .* is not the chain's genesis root/);
    expect(await b.store.readLast(freshStream)).toBeUndefined();
  });

  it('refuses content whose next_root does not recompute, and proofs that do not verify', async () => {
    const tampered = edited(r(3), (x) => ((x.transition as JsonObject).payload = { invoice: 'INV-forged' }));
    await expectRefused(() => give(one(tampered)), /next_root [0-9a-f]{16}… does not recompute/);
    await expectRefused(() => give(one(edited(r(3), (x) => (x.timestamp = '2030-01-01T00:00:00Z')))), /next_root .* does not recompute/);
    await expectRefused(() => give(one(edited(r(3), (x) => (x.next_root = flipHex(x.next_root as string, 63))))), /next_root .* does not recompute/);
    // Resealed but not signed again: the sequencer's signature no longer covers it.
    const later = edited(r(3), (x) => {
      x.timestamp = '2030-01-01T00:00:00Z';
      x.next_root = computeNextRoot(x);
    });
    await expectRefused(() => give(one(later)), /proof 0 \(did:key:[^)]+\) does not verify: signature/);
    const badSignature = edited(r(3), (x) => {
      const proof = x.proof as JsonObject;
      proof.jws = Buffer.from(Buffer.alloc(64, 1)).toString('base64url');
    });
    await expectRefused(() => give(one(badSignature)), /proof 0 .* does not verify: signature/);
    await expectRefused(() => give(one(edited(r(3), (x) => (x.proof = [x.proof!, { type: 'Nonsense' }])))), /proof 1 .* does not verify: proof-type/);
    await expectRefused(() => give(one(edited(r(3), (x) => (x.proof = [])))), /proof must be an object or a non-empty array/);
    await expectRefused(() => give(one(edited(r(3), (x) => delete x.proof))), /proof is missing/);
    // A payload changed with its digest left as it was, sealed and signed by the sequencer: not a valid envelope.
    await expectRefused(() => give(one(resigned(r(3), (x) => ((x.transition as JsonObject).payload = { invoice: 'INV-forged' })))), /transition is not a valid envelope: payload_sha256 mismatch/);
    await expectRefused(() => give(one(resigned(r(3), (x) => delete (x.transition as JsonObject).payload_sha256))), /transition is not a valid envelope/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.transition = 'noop')))), /transition is not a MSEZTransitionEnvelope/);
  });

  it("refuses receipts of another chain: receipt type, subject, extra fields, digest sets", async () => {
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.type = 'MSEZDisputeReceipt')))), /type "MSEZDisputeReceipt" is not this chain's receipt type "MSEZCorridorStateReceipt"/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.corridor_id = 'org.example.other')))), /corridor_id "org.example.other" is not this chain's subject \(corridor_id\)/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.lawpack_digest_set = [sha256Hex('lawpack-a')])))), /lawpack_digest_set .* is not this chain's/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.ruleset_digest_set = [...(x.ruleset_digest_set as string[]), sha256Hex('ruleset-2')])))), /ruleset_digest_set .* is not this chain's/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.ruleset_digest_set = 'all')))), /ruleset_digest_set must be an array of strings/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.zk = { proof: 'x' })))), /zk is not a field of this chain's receipts/);
    await expectRefused(() => give(one(resigned(r(3), (x) => delete x.timestamp))), /timestamp is missing/);
    await expectRefused(() => give(one(resigned(r(3), (x) => (x.timestamp = 'yesterday')))), /timestamp must be an RFC 3339 UTC time/);
    // The digest sets compare as sets: another order is the same set.
    const reordered = resigned(r(3), (x) => (x.lawpack_digest_set = [...(x.lawpack_digest_set as string[])].reverse()));
    expect((await give(one(reordered))).receipts[0]).toEqual(reordered);

    // A profile with extra fields (a saga's corridor_id): they must be there, with the profile's values.
    const saga: ChainProfile = { receiptType: 'MSEZMigrationSagaReceipt', subjectField: 'migration_id', subjectId: 'mig-1', extraFields: { corridor_id: ID }, genesisRoot: sha256Hex('saga genesis'), lawpackDigestSet: [], rulesetDigestSet: [] };
    await writerA.append('saga-mig-1', saga, [chainEvent(0), chainEvent(1)], NO_STREAM);
    const sagaChain = received(await a.store.read('saga-mig-1'));
    const giveSaga = (receipts: ReceivedReceipt[]) => writerB.appendReceived('saga-mig-1', saga, receipts, NO_STREAM);
    await expect(giveSaga([{ ...sagaChain[0]!, receipt: resigned(sagaChain[0]!.receipt, (x) => (x.corridor_id = 'org.example.other')) }])).rejects.toThrow(/^receipt 0: corridor_id "org.example.other" is not this chain's corridor_id/);
    await expect(giveSaga([{ ...sagaChain[0]!, receipt: resigned(sagaChain[0]!.receipt, (x) => delete x.corridor_id) }])).rejects.toThrow(/^receipt 0: corridor_id is missing/);
    await expect(giveSaga([{ ...sagaChain[0]!, receipt: resigned(sagaChain[0]!.receipt, (x) => (x.migration_id = 'mig-2')) }])).rejects.toThrow(/^receipt 0: migration_id "mig-2" is not this chain's subject/);
    expect(await b.store.readLast('saga-mig-1')).toBeUndefined();
    expect((await giveSaga(sagaChain)).receipts).toEqual(sagaChain.map((x) => x.receipt));
    // A corridor receipt is not a saga receipt.
    await expect(writerB.appendReceived('saga-mig-1', saga, [chain[2]!], 1)).rejects.toThrow(/^receipt 2: (corridor_id|migration_id|type)/);
  });

  it('refuses what is not strict JSON, and garbage', async () => {
    const valid = r(3);
    const cases: [unknown, RegExp][] = [
      [null, /not an object \{type, receipt\}/],
      ['garbage', /not an object \{type, receipt\}/],
      [[valid], /not an object \{type, receipt\}/],
      [{ type: chain[3]!.type }, /the receipt is not a JSON object/],
      [{ type: chain[3]!.type, receipt: canonicalize(valid) }, /the receipt is not a JSON object/],
      [{ type: chain[3]!.type, receipt: [valid] }, /the receipt is not a JSON object/],
      [{ type: 7, receipt: valid }, /event type must be a non-empty string/],
      [{ type: '', receipt: valid }, /event type must be a non-empty string/],
      [{ type: '$system', receipt: valid }, /not starting with "\$"/],
      [{ type: chain[3]!.type, receipt: edited(valid, (x) => ((x.transition as JsonObject).payload = { amount: 1.5 })) }, /receipt\.transition\.payload\.amount is 1\.5, not a safe integer/],
      [{ type: chain[3]!.type, receipt: edited(valid, (x) => (x.sequence = 2 ** 53 + 2)) }, /receipt\.sequence is 9007199254740994, not a safe integer/],
      [{ type: chain[3]!.type, receipt: edited(valid, (x) => (x.sequence = Number.NaN)) }, /receipt\.sequence is NaN/],
      [{ type: chain[3]!.type, receipt: edited(valid, (x) => ((x as Record<string, unknown>).extra = undefined)) }, /receipt\.extra is undefined, not JSON/],
      [{ type: chain[3]!.type, receipt: edited(valid, (x) => ((x as Record<string, unknown>).timestamp = new Date())) }, /receipt\.timestamp is not a plain object/],
      [{ type: chain[3]!.type, receipt: { ...valid, f: () => 1 } }, /receipt\.f is a function, not JSON/],
      [{ type: chain[3]!.type, receipt: edited(valid, (x) => ((x.transition as JsonObject).kind = 'a\ud800')) }, /receipt\.transition\.kind contains a lone surrogate/],
      [{ type: chain[3]!.type, receipt: Object.assign(Object.create({ inherited: true }) as object, valid) }, /the receipt is not a JSON object/],
    ];
    for (const [item, check] of cases) await expectRefused(() => give([item]), check);
    // The whole append is refused: the two valid receipts before the bad one are not stored either.
    await expectRefused(() => give([chain[3], chain[4], 'garbage']), /^receipt 5: not an object/, 5);
    await expect(give([])).rejects.toThrow(InvalidAppendError);
    await expect(give('garbage' as never)).rejects.toThrow(InvalidAppendError);
    await expect(give(chain.slice(3), -2)).rejects.toThrow(/expectedRevision/);
    await expect(writerB.appendReceived(STREAM, PROFILE, chain.slice(3, 4), 2, [] as never)).rejects.toThrow(/metadata/);
    // After all the refusals, the real receipts still go in.
    const ok = await give(chain.slice(3));
    expect(ok.firstSequence).toBe(3);
    // In the same appends as A's (3, then 5): the same events, metadata included.
    expect(await storedView(b.store, STREAM)).toEqual(await storedView(a.store, STREAM));
  });

  it('checks a private copy: changing the given object after the call changes nothing', async () => {
    await writerB.appendReceived(STREAM, PROFILE, chain.slice(0, 3), NO_STREAM);
    const mine = structuredClone(r(3));
    const pending = give(one(mine));
    (mine.transition as JsonObject).payload = { invoice: 'INV-forged' };
    mine.sequence = 99;
    const result = await pending;
    expect(result.receipts[0]).toEqual(r(3));
    expect((await b.store.read(STREAM, { fromRevision: 3 }))[0]!.data).toBe(canonicalize(r(3)));
  });

  it('a refused request in a batch fails alone; the requests around it go through', async () => {
    await writerB.appendReceived(STREAM, PROFILE, chain.slice(0, 3), NO_STREAM);
    const bad = resigned(r(3), (x) => (x.prev_root = flipHex(x.prev_root as string)));
    const attempts = await Promise.allSettled([
      give(one(bad)), // refused in the lane: does not continue the head
      give(chain.slice(3, 5)),
      writerB.appendReceived(STREAM, PROFILE, chain.slice(5), 4),
    ]);
    expect(attempts[0]).toMatchObject({ status: 'rejected', reason: expect.any(InvalidAppendError) });
    expect((attempts[0] as PromiseRejectedResult).reason.message).toMatch(/^receipt 3: prev_root .* does not continue the head/);
    expect(attempts.slice(1).map((x) => x.status)).toEqual(['fulfilled', 'fulfilled']);
    expect((await b.store.read(STREAM)).map((e) => e.data)).toEqual((await a.store.read(STREAM)).map((e) => e.data));
  });

  it('recognises a retry of stored receipts (idempotent), also racing and after the chain moved on', async () => {
    const first = await writerB.appendReceived(STREAM, PROFILE, chain.slice(0, 3), NO_STREAM);
    const retry = await writerB.appendReceived(STREAM, PROFILE, chain.slice(0, 3), NO_STREAM);
    expect(retry).toMatchObject({ idempotent: true, firstSequence: 0, nextExpectedRevision: 2, receipts: first.receipts });
    expect(retry.mmr).toEqual(first.mmr);

    const racing = await Promise.all([give(chain.slice(3, 6)), give(chain.slice(3, 6)), give(chain.slice(3, 6))]);
    expect(racing.map((x) => x.idempotent).sort()).toEqual([false, true, true]);
    for (const x of racing) expect(x.receipts).toEqual(chain.slice(3, 6).map((c) => c.receipt));
    expect(await b.store.read(STREAM)).toHaveLength(6);

    // From a new writer (nothing cached), after the chain moved on.
    const restarted = new ReceiptChainWriter(b.store, KEY_B);
    const late = await restarted.appendReceived(STREAM, PROFILE, chain.slice(0, 3), NO_STREAM);
    expect(late).toMatchObject({ idempotent: true, nextExpectedRevision: 2, receipts: first.receipts });
    expect(late.mmr).toEqual(first.mmr);
    const middle = await restarted.appendReceived(STREAM, PROFILE, chain.slice(2, 4), 1);
    expect(middle).toMatchObject({ idempotent: true, firstSequence: 2, nextExpectedRevision: 3 });
    expect(await b.store.read(STREAM)).toHaveLength(6);
  });

  it('refuses other receipts at a stored revision, and an expected revision beyond the head, as conflicts', async () => {
    await writerB.appendReceived(STREAM, PROFILE, chain.slice(0, 6), NO_STREAM);
    for (const attempt of [
      () => writerB.appendReceived(STREAM, PROFILE, fork.slice(0, 3), NO_STREAM), // a fork from genesis
      () => writerB.appendReceived(STREAM, PROFILE, fork.slice(3, 5), 2), // a fork at a stored revision (its receipt 3 continues the fork's 2)
      () => writerB.appendReceived(STREAM, PROFILE, chain.slice(4, 8), 3), // partly stored: 4, 5 are, 6, 7 are not
      () => writerB.appendReceived(STREAM, PROFILE, chain.slice(7), 6), // beyond the head
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ stream: STREAM, actual: 5 });
    }
    expect((await b.store.read(STREAM)).map((e) => e.id)).toEqual((await a.store.read(STREAM)).slice(0, 6).map((e) => e.id));
    // A local append is held to the same rule: its own events at a revision holding received receipts conflict.
    await expect(writerB.append(STREAM, PROFILE, [chainEvent(900)], 4)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    // And the received receipts go on after a local append.
    const local = await writerB.append(STREAM, PROFILE, [chainEvent(901)], 5);
    expect(local.firstSequence).toBe(6);
    await expect(writerB.appendReceived(STREAM, PROFILE, chain.slice(6, 7), 5)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
  });

  it('property: random tamperings of a valid receipt are all refused, and nothing is stored', async () => {
    // B holds receipts 0..k-1 of A's chain in stream `at-k`, for every k.
    const heights = [0, 1, 2, 3, 5, 7];
    for (const k of heights) if (k > 0) await writerB.appendReceived(`at-${k}`, PROFILE, chain.slice(0, k), NO_STREAM);
    const fields = Object.keys(r(0));
    const anyJson = fc.oneof(
      fc.jsonValue() as fc.Arbitrary<unknown>,
      fc.constantFrom<unknown>(undefined, 1.5, -0.25, Number.NaN, 2 ** 60, 3n, new Date(0), ['x'], {}),
    );
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('set' as const), field: fc.constantFrom(...fields.filter((f) => f !== 'proof')), value: anyJson }),
      fc.record({ op: fc.constant('delete' as const), field: fc.constantFrom(...fields) }),
      fc.record({ op: fc.constant('add' as const), field: fc.string({ minLength: 1, maxLength: 8 }).filter((f) => !fields.includes(f)), value: anyJson }),
      fc.record({ op: fc.constant('payload' as const), value: anyJson }),
      fc.record({ op: fc.constant('kind' as const), value: fc.string() }),
      fc.record({ op: fc.constant('sequence' as const), value: fc.integer({ min: -3, max: 12 }) }),
      fc.record({ op: fc.constant('flip' as const), field: fc.constantFrom('prev_root', 'next_root'), at: fc.integer({ min: 0, max: 63 }) }),
      fc.record({ op: fc.constant('digest-set' as const), field: fc.constantFrom('lawpack_digest_set', 'ruleset_digest_set'), value: fc.array(fc.constantFrom(sha256Hex('lawpack-a'), sha256Hex('lawpack-b'), sha256Hex('ruleset-1'), sha256Hex('x')), { maxLength: 3 }) }),
      fc.record({ op: fc.constant('proof' as const), value: anyJson }),
      fc.record({ op: fc.constant('jws' as const), at: fc.integer({ min: 0, max: 85 }) }),
    );
    const apply = (x: JsonObject, m: { op: string } & Record<string, unknown>): void => {
      const set = (o: JsonObject, f: string, v: unknown) => ((o as Record<string, unknown>)[f] = v);
      switch (m.op) {
        case 'set': set(x, m.field as string, m.value); break;
        case 'delete': delete x[m.field as string]; break;
        case 'add': Object.defineProperty(x, m.field as string, { value: m.value, enumerable: true, writable: true, configurable: true }); break;
        case 'payload': set(x.transition as JsonObject, 'payload', m.value); break;
        case 'kind': (x.transition as JsonObject).kind = m.value as string; break;
        case 'sequence': x.sequence = m.value as number; break;
        case 'flip': x[m.field as string] = flipHex(x[m.field as string] as string, m.at as number); break;
        case 'digest-set': x[m.field as string] = m.value as string[]; break;
        case 'proof': set(x, 'proof', m.value); break;
        case 'jws': {
          const proof = x.proof as JsonObject;
          const jws = proof.jws as string;
          const i = (m.at as number) % jws.length;
          proof.jws = jws.slice(0, i) + (jws[i] === 'A' ? 'B' : 'A') + jws.slice(i + 1);
          break;
        }
      }
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...heights), mutation, fc.boolean(), async (k, m, reseal) => {
        const original = r(k);
        const tampered = structuredClone(original);
        apply(tampered, m);
        if (reseal) {
          try {
            tampered.next_root = computeNextRoot(tampered);
          } catch {
            // not hashable: stays as it is
          }
        }
        let same = false;
        try {
          same = canonicalize(tampered) === canonicalize(original);
        } catch {
          same = false;
        }
        fc.pre(!same);
        const stream = `at-${k}`;
        const before = (await b.store.read(stream)).length;
        const error = await writerB.appendReceived(stream, PROFILE, [{ type: chain[k]!.type, receipt: tampered }], after(k)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(InvalidAppendError);
        expect((error as Error).message).toMatch(new RegExp(`^receipt ${k}: `));
        expect(await b.store.read(stream)).toHaveLength(before);
      }),
      { numRuns: 300 },
    );
    // Sealed and signed by the sequencer, a receipt that breaks a chain rule is refused all the same.
    const broken = fc.oneof(
      fc.record({ op: fc.constant('sequence' as const), value: fc.oneof(fc.integer({ min: -5, max: 50 }), fc.string(), fc.constant(null)) }),
      fc.record({ op: fc.constant('flip' as const), field: fc.constant('prev_root'), at: fc.integer({ min: 0, max: 63 }) }),
      fc.record({ op: fc.constant('set' as const), field: fc.constantFrom('type', 'corridor_id', 'prev_root', 'transition', 'lawpack_digest_set', 'ruleset_digest_set', 'timestamp'), value: fc.oneof(fc.string(), fc.integer(), fc.constant(null)) }),
      fc.record({ op: fc.constant('digest-set' as const), field: fc.constantFrom('lawpack_digest_set', 'ruleset_digest_set'), value: fc.array(fc.constantFrom(sha256Hex('lawpack-a'), sha256Hex('ruleset-1'), sha256Hex('x')), { maxLength: 3 }) }),
      fc.record({ op: fc.constant('delete' as const), field: fc.constantFrom(...fields.filter((f) => f !== 'proof' && f !== 'next_root')) }),
      fc.record({ op: fc.constant('add' as const), field: fc.string({ minLength: 1, maxLength: 8 }).filter((f) => !fields.includes(f)), value: fc.jsonValue() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...heights), broken, async (k, m) => {
        let tampered: JsonObject;
        try {
          tampered = resigned(r(k), (x) => apply(x, m));
        } catch {
          return; // not even signable
        }
        fc.pre(canonicalize(withoutKeys(tampered, 'proof')) !== canonicalize(withoutKeys(r(k), 'proof')));
        const error = await writerB.appendReceived(`at-${k}`, PROFILE, [{ type: chain[k]!.type, receipt: tampered }], after(k)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(InvalidAppendError);
        expect((error as Error).message).toMatch(new RegExp(`^receipt ${k}: `));
      }),
      { numRuns: 200 },
    );
    for (const k of heights) expect(await b.store.read(`at-${k}`)).toHaveLength(k);
  });
});

describe('ReceiptChainWriter.appendReceived: properties', () => {
  let a: OpenStore;
  let b: OpenStore;
  let run = 0;
  beforeAll(async () => {
    a = await sqliteKind.open();
    b = await sqliteKind.open();
  });
  afterAll(async () => {
    await a.close();
    await b.close();
  });

  it('random valid chains replicate exactly, whatever the batches on either side', async () => {
    const writerA = new ReceiptChainWriter(a.store, KEY_A);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.record({ n: fc.integer({ min: 0, max: 10_000 }), text: fc.string({ maxLength: 12 }), big: fc.bigInt({ min: 0n, max: 2n ** 80n }) }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(1, 3, 512),
        fc.boolean(),
        async (chunksA, sizesB, seeds, maxReceiptsPerCommit, allAtOnce) => {
          const stream = `corridor-p${++run}`;
          const events = seeds.map((s, i) => chainEvent(i * 10_000 + s.n, { text: s.text, big: s.big as unknown as JsonValue }));
          const chunks = chunking(events.length, chunksA);
          await appendInChunks(writerA, stream, events, chunks);
          const storedA = await a.store.read(stream);
          const writerB = new ReceiptChainWriter(b.store, KEY_B, { maxReceiptsPerCommit });
          const parts = chunking(storedA.length, sizesB.map((s) => Math.min(s, maxReceiptsPerCommit)));
          const requests: (() => Promise<AppendedReceipts>)[] = [];
          let at = 0;
          for (const n of parts) {
            const slice = storedA.slice(at, at + n);
            const expected = after(at);
            requests.push(() => writerB.appendReceived(stream, PROFILE, received(slice), expected));
            at += n;
          }
          if (allAtOnce) await Promise.all(requests.map((f) => f()));
          else for (const f of requests) await f();
          await expectSameChain(b.store, a.store, stream, stream);
          const storedB = await b.store.read(stream);
          // Same requests on both sides: every receipt's MMR nodes and size are the same. Which event also carries
          // the peaks and root depends on how the lane grouped concurrent requests into store appends (timing), so
          // those are compared through the heads below, not event by event.
          const nodesOf = (events: typeof storedA) => events.map((e) => ({ ...e.metadata, mmr: { nodes: (e.metadata as any)?.mmr?.nodes, size: (e.metadata as any)?.mmr?.size } }));
          if (canonicalize(chunks) === canonicalize(parts)) expect(nodesOf(storedB)).toEqual(nodesOf(storedA));
          expect((await writerB.head(stream))!.mmr).toEqual((await writerA.head(stream))!.mmr);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('random interleavings of local and received appends on one stream match the sequential chain', async () => {
    const options: fc.Arbitrary<ReceiptChainWriterOptions> = fc.record({ maxReceiptsPerCommit: fc.constantFrom(2, 3, 512) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ by: fc.constantFrom<'A' | 'B'>('A', 'B'), count: fc.integer({ min: 1, max: 2 }) }), { minLength: 1, maxLength: 10 }),
        options,
        fc.integer({ min: 0, max: 3 }),
        async (shape, opts, awaitEvery) => {
          const stream = `corridor-i${++run}`;
          let n = 0;
          const segments: Segment[] = shape.map((s) => ({ by: s.by, events: Array.from({ length: s.count }, () => chainEvent(run * 100 + n++)) }));
          const truth = await sequentialTruth(segments, stream);
          const writerB = new ReceiptChainWriter(b.store, KEY_B, opts);
          // Issued in groups: every `awaitEvery`-th request waits for what was issued before it (0: all at once).
          const pending: Promise<AppendedReceipts>[] = [];
          const all = issueLazily(writerB, segments, truth, stream);
          for (const [k, start] of all.entries()) {
            if (awaitEvery > 0 && k % awaitEvery === 0) await Promise.all(pending);
            pending.push(start());
          }
          const results = await Promise.all(pending);
          expect(results.every((x) => !x.idempotent)).toBe(true);
          await expectSameChain(b.store, truth.store, stream, stream);
          await truth.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('signs the local receipts of a mixed batch in worker threads, and stores the received ones as they came', async () => {
    const stream = 'corridor-workers';
    const segments = handOverSegments();
    const truth = await sequentialTruth(segments, stream);
    const writerB = new ReceiptChainWriter(b.store, KEY_B, { signingWorkers: 1 });
    try {
      await Promise.all(issueOnB(writerB, segments, truth, stream));
      await expectSameChain(b.store, truth.store, stream, stream);
    } finally {
      await writerB.close();
      await truth.close();
    }
  });
});

function issueLazily(writerB: ReceiptChainWriter, segments: readonly Segment[], truth: { stored: StoredEvent[]; segmentStarts: number[] }, stream: string): (() => Promise<AppendedReceipts>)[] {
  return segments.map((s, k) => () => {
    const start = truth.segmentStarts[k]!;
    return s.by === 'B'
      ? writerB.append(stream, PROFILE, s.events, after(start))
      : writerB.appendReceived(stream, PROFILE, received(truth.stored.slice(start, start + s.events.length)), after(start));
  });
}
