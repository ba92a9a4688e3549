import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import {
  buildReceiptInclusionProof,
  computeNextRoot,
  verifyCheckpointAgainstChain,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyProofs,
  verifyReceiptInclusionProof,
  type JsonObject,
} from '@corridor/protocol';
import {
  ChainIntegrityError,
  ChainRangeError,
  eventIdFromDigest,
  InvalidAppendError,
  NO_STREAM,
  ReceiptChainWriter,
  SqliteEventStore,
  WrongExpectedRevisionError,
  type EventStore,
} from '@corridor/ledger';
import { chainEvent, expectationsFor, NODE_KEY, profileFor, recomputedRoot, tempDir, verifyStoredChain } from './support/chain-fixtures';

/** Wraps a store to count calls and optionally slow appends down. */
function instrumented(store: EventStore, appendDelayMs = 0) {
  const calls = { append: 0, read: 0, readLast: 0 };
  const wrapped: EventStore = {
    append: async (s, e, x) => {
      calls.append++;
      if (appendDelayMs) await new Promise((r) => setTimeout(r, appendDelayMs));
      return store.append(s, e, x);
    },
    read: (s, o) => {
      calls.read++;
      return store.read(s, o);
    },
    readLast: (s) => {
      calls.readLast++;
      return store.readLast(s);
    },
    readAll: (o) => store.readAll(o),
    subscribeToAll: (o) => store.subscribeToAll(o),
    close: () => store.close(),
  };
  return { store: wrapped, calls };
}

describe('ReceiptChainWriter', () => {
  let dir: string;
  let store: SqliteEventStore;
  const open = () => SqliteEventStore.open({ path: path.join(dir, 'ledger.sqlite') });

  beforeEach(() => {
    dir = tempDir('chain-writer-');
    store = open();
  });
  afterEach(async () => {
    if (store.isOpen) await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a corridor chain that the protocol verifies end to end, with checkpoints and proofs at any height', async () => {
    const writer = new ReceiptChainWriter(store, NODE_KEY);
    const id = 'org.example.verify';
    const stream = `corridor-${id}`;
    let rev: number | typeof NO_STREAM = NO_STREAM;
    for (let i = 0; i < 23; i += 3) rev = (await writer.append(stream, profileFor(id), [chainEvent(i), chainEvent(i + 1), chainEvent(i + 2)], rev)).nextExpectedRevision;

    const verification = await verifyStoredChain(store, stream, id);
    expect(verification.errors).toEqual([]);
    expect(verification.valid).toBe(true);
    const result = verification.result!;
    expect(result.receipt_count).toBe(24);
    const head = (await writer.head(stream))!;
    expect(head.mmr.root).toBe(result.mmr.root);
    expect(head.mmr.peaks).toEqual(result.mmr.peaks);

    const receipts = await writer.receipts(stream);
    for (const height of [1, 2, 5, 8, 13, 24]) {
      const checkpoint = await writer.checkpoint(stream, { height });
      const prefix = await verifyStoredChainPrefix(height);
      expect(verifyCheckpointAgainstChain({ value: checkpoint }, prefix)).toMatchObject({ valid: true, signers: [NODE_KEY.did] });
      // Same height, same bytes: the checkpoint's time is its last receipt's.
      expect(await writer.checkpoint(stream, { height })).toEqual(checkpoint);
      for (const sequence of new Set([0, height - 1, Math.floor(height / 2)])) {
        const proof = await writer.receiptInclusionProof(stream, sequence, { checkpoint, checkpointPath: `checkpoints/${height}.json`, generatedAt: '2026-02-01T00:00:00Z' });
        expect(verifyReceiptInclusionProof({ proof, receipt: receipts[sequence]!, checkpoint, corridor_id: id })).toEqual({ valid: true });
        // The protocol's own O(n) builder produces exactly the same object.
        const reference = buildReceiptInclusionProof({
          corridor_id: id,
          next_roots: receipts.slice(0, height).map((r) => r.next_root as string),
          sequence,
          generated_at: '2026-02-01T00:00:00Z',
          checkpoint: { value: checkpoint, path: `checkpoints/${height}.json` },
        });
        expect(proof).toEqual(reference);
        expect(verifyInclusionProof(await writer.inclusionProof(stream, sequence, height))).toEqual({ valid: true });
      }
    }
    const consistency = await writer.consistencyProof(stream, 5, 24);
    expect(verifyConsistencyProof(consistency, { oldSize: 5, oldRoot: recomputedRoot(receipts.slice(0, 5)), newSize: 24, newRoot: result.mmr.root }).valid).toBe(true);
    await expect(writer.checkpoint(stream, { height: 25 })).rejects.toBeInstanceOf(ChainRangeError);
    await expect(writer.receiptInclusionProof(stream, 24)).rejects.toBeInstanceOf(ChainRangeError);

    async function verifyStoredChainPrefix(height: number) {
      const texts = receipts.slice(0, height).map((r, i) => ({ path: `r/${String(i).padStart(6, '0')}`, value: r }));
      const { verifyCorridorChain } = await import('@corridor/protocol');
      const v = verifyCorridorChain(expectationsFor(id), texts);
      expect(v.valid).toBe(true);
      return v.result!;
    }
  });

  it('resumes from the last event alone: one point read, however long the chain', async () => {
    const id = 'org.example.resume';
    const stream = `corridor-${id}`;
    const writer = new ReceiptChainWriter(store, NODE_KEY);
    let rev: number | typeof NO_STREAM = NO_STREAM;
    for (let i = 0; i < 1000; i += 100) {
      rev = (await writer.append(stream, profileFor(id), Array.from({ length: 100 }, (_, k) => chainEvent(i + k)), rev)).nextExpectedRevision;
    }
    await store.close();
    store = open();
    const { store: counted, calls } = instrumented(store);
    const restarted = new ReceiptChainWriter(counted, NODE_KEY);
    const head = (await restarted.head(stream))!;
    expect(calls).toEqual({ append: 0, read: 0, readLast: 1 });
    expect(head.revision).toBe(999);
    const more = await restarted.append(stream, profileFor(id), [chainEvent(1000)], 999);
    expect(more.firstSequence).toBe(1000);
    expect(calls.read).toBe(0);
    const receipts = await restarted.receipts(stream);
    expect(more.mmr.root).toBe(recomputedRoot(receipts));
    expect((await verifyStoredChain(store, stream, id)).valid).toBe(true);
  });

  it('refuses a tampered head instead of building on it', async () => {
    const id = 'org.example.tamper';
    const stream = `corridor-${id}`;
    const writer = new ReceiptChainWriter(store, NODE_KEY);
    await writer.append(stream, profileFor(id), [chainEvent(0), chainEvent(1)], NO_STREAM);
    await store.close();
    const db = new Database(path.join(dir, 'ledger.sqlite'));
    db.prepare("UPDATE events SET data = replace(data, 'INV-1', 'INV-9') WHERE stream = ? AND revision = 1").run(stream);
    db.close();
    store = open();
    const restarted = new ReceiptChainWriter(store, NODE_KEY);
    await expect(restarted.append(stream, profileFor(id), [chainEvent(2)], 1)).rejects.toBeInstanceOf(ChainIntegrityError);
    expect(await store.read(stream)).toHaveLength(2);
  });

  it('batches queued appends to one stream into one store append, each checked against its own expected revision', async () => {
    const id = 'org.example.batch';
    const stream = `corridor-${id}`;
    const { store: counted, calls } = instrumented(store, 5);
    const writer = new ReceiptChainWriter(counted, NODE_KEY);
    await writer.append(stream, profileFor(id), [chainEvent(0)], NO_STREAM);
    const pipelined = Array.from({ length: 200 }, (_, i) => writer.append(stream, profileFor(id), [chainEvent(i + 1)], i));
    const stale = writer.append(stream, profileFor(id), [chainEvent(999)], 3);
    const results = await Promise.all(pipelined);
    expect(results.map((r) => r.firstSequence)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await expect(stale).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(calls.append).toBeLessThan(20);
    const v = await verifyStoredChain(store, stream, id);
    expect(v.valid).toBe(true);
    expect(v.result!.receipt_count).toBe(201);
    expect(results[199]!.mmr.root).toBe(v.result!.mmr.root);
  });

  it('lets exactly one of concurrent appends at the same revision win; the others get the typed conflict', async () => {
    const id = 'org.example.race';
    const stream = `corridor-${id}`;
    const writer = new ReceiptChainWriter(store, NODE_KEY);
    for (let round = 0; round < 5; round++) {
      const expected = round === 0 ? NO_STREAM : round - 1;
      const settled = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => writer.append(stream, profileFor(id), [chainEvent(round * 10 + i)], expected)));
      expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
      for (const s of settled) {
        if (s.status === 'rejected') {
          expect(s.reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect((s.reason as WrongExpectedRevisionError).toProblem()).toMatchObject({ status: 409, actualRevision: round });
        }
      }
    }
    expect((await verifyStoredChain(store, stream, id)).result!.receipt_count).toBe(5);
  });

  it('recognises a retried append and returns the stored receipts instead of a conflict or a duplicate', async () => {
    const id = 'org.example.retry';
    const stream = `corridor-${id}`;
    const writer = new ReceiptChainWriter(store, NODE_KEY);
    const batch = [chainEvent(0), chainEvent(1)];
    const first = await writer.append(stream, profileFor(id), batch, NO_STREAM);
    expect(first.idempotent).toBe(false);
    const again = await writer.append(stream, profileFor(id), batch, NO_STREAM);
    expect(again).toEqual({ ...first, idempotent: true });
    await writer.append(stream, profileFor(id), [chainEvent(2)], 1);
    // Still recognised after the chain moved on; the result describes the chain as that append left it.
    expect(await writer.append(stream, profileFor(id), batch, NO_STREAM)).toEqual({ ...first, idempotent: true });
    // A different append at a stale revision is a conflict.
    await expect(writer.append(stream, profileFor(id), [chainEvent(0, { amount: '1.01' }), chainEvent(1)], NO_STREAM)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(writer.append(stream, profileFor(id), [chainEvent(1), chainEvent(0)], NO_STREAM)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    // A retry racing the original: both answer, the receipts are stored once.
    const [x, y] = await Promise.all([writer.append(stream, profileFor(id), [chainEvent(3)], 2), writer.append(stream, profileFor(id), [chainEvent(3)], 2)]);
    expect([x.idempotent, y.idempotent].sort()).toEqual([false, true]);
    expect(x.receipts).toEqual(y.receipts);
    const events = await store.read(stream);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3]);
    expect(new Set(events.map((e) => e.id)).size).toBe(4);
    for (const e of events) expect(e.id).toBe(eventIdFromDigest((JSON.parse(e.data) as { next_root: string }).next_root));
  });

  it('notices a stream moved by another writer, reloads its head, and keeps the chain intact', async () => {
    const id = 'org.example.two-writers';
    const stream = `corridor-${id}`;
    const a = new ReceiptChainWriter(store, NODE_KEY);
    const b = new ReceiptChainWriter(store, NODE_KEY);
    await a.append(stream, profileFor(id), [chainEvent(0)], NO_STREAM);
    await b.append(stream, profileFor(id), [chainEvent(1)], 0);
    // a's cached head is stale: its append at the revision it knows conflicts with what b wrote.
    await expect(a.append(stream, profileFor(id), [chainEvent(2)], 0)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect((await a.head(stream))!.revision).toBe(1);
    await a.append(stream, profileFor(id), [chainEvent(2)], 1);
    await b.append(stream, profileFor(id), [chainEvent(3)], 2);
    const v = await verifyStoredChain(store, stream, id);
    expect(v.valid).toBe(true);
    expect(v.result!.receipt_count).toBe(4);
  });

  it('runs appends to different streams in parallel and serialises each stream', async () => {
    const { store: slow } = instrumented(store, 40);
    const writer = new ReceiptChainWriter(slow, NODE_KEY);
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer.append(`corridor-p${i}`, profileFor(`p${i}`), [chainEvent(i)], NO_STREAM)));
    const parallel = Date.now() - started;
    expect(parallel).toBeLessThan(300); // ten 40 ms appends, concurrently
    const t1 = Date.now();
    await writer.append('corridor-q', profileFor('q'), [chainEvent(0)], NO_STREAM);
    await Promise.all([1, 2, 3].map((i) => writer.append('corridor-q', profileFor('q'), [chainEvent(i)], i - 1)));
    // The three pipelined appends to one stream went through as one batch after the first.
    expect(Date.now() - t1).toBeGreaterThanOrEqual(80);
    for (let i = 0; i < 10; i++) expect((await verifyStoredChain(store, `corridor-p${i}`, `p${i}`)).valid).toBe(true);
    expect((await verifyStoredChain(store, 'corridor-q', 'q')).result!.receipt_count).toBe(4);
  });

  it('signs in worker threads with exactly the bytes the event loop would produce', async () => {
    const pooled = new ReceiptChainWriter(store, NODE_KEY, { signingWorkers: 2 });
    const other = SqliteEventStore.open({ path: path.join(dir, 'inline.sqlite') });
    const inline = new ReceiptChainWriter(other, NODE_KEY);
    try {
      const events = Array.from({ length: 150 }, (_, i) => chainEvent(i, { note: 'é😀', big: 12345678901234567890n as unknown as number }));
      const a = await pooled.append('corridor-w', profileFor('w'), events, NO_STREAM);
      const b = await inline.append('corridor-w', profileFor('w'), events, NO_STREAM);
      expect(a.receipts).toEqual(b.receipts);
      expect((await store.read('corridor-w')).map((e) => e.data)).toEqual((await other.read('corridor-w')).map((e) => e.data));
      for (const r of a.receipts) expect(verifyProofs(r)).toEqual([{ verificationMethod: NODE_KEY.verificationMethod, ok: true }]);
      expect((await verifyStoredChain(store, 'corridor-w', 'w')).valid).toBe(true);
    } finally {
      await pooled.close();
      await other.close();
    }
  });

  it('refuses malformed appends before touching the store', async () => {
    const writer = new ReceiptChainWriter(store, NODE_KEY);
    await expect(writer.append('corridor-bad', profileFor('bad'), [], NO_STREAM)).rejects.toBeInstanceOf(InvalidAppendError);
    await expect(writer.append('corridor-bad', profileFor('bad'), [{ ...chainEvent(0), at: 'yesterday' }], NO_STREAM)).rejects.toBeInstanceOf(InvalidAppendError);
    await expect(writer.append('corridor-bad', profileFor('bad'), [{ ...chainEvent(0), data: { amount: 1.5 } }], NO_STREAM)).rejects.toThrow(/float/i);
    // A valid append queued behind an invalid one still goes through.
    const ok = await writer.append('corridor-bad', profileFor('bad'), [chainEvent(0)], NO_STREAM);
    expect(ok.firstSequence).toBe(0);
    expect(await store.read('corridor-bad')).toHaveLength(1);
  });

  it('cuts checkpoints of other aggregates under their own type and subject field', async () => {
    const writer = new ReceiptChainWriter(store, NODE_KEY);
    const profile = {
      receiptType: 'MSEZMigrationSagaReceipt',
      subjectField: 'migration_id',
      subjectId: 'mig-1',
      extraFields: { corridor_id: 'org.example.c' },
      genesisRoot: 'b'.repeat(64),
      lawpackDigestSet: [],
      rulesetDigestSet: [],
    };
    await writer.append('saga-mig-1', profile, [chainEvent(0), chainEvent(1), chainEvent(2)], NO_STREAM);
    const cp = await writer.checkpoint('saga-mig-1', { subjectField: 'migration_id' });
    expect(cp).toMatchObject({ type: 'MSEZMigrationSagaCheckpoint', migration_id: 'mig-1', corridor_id: 'org.example.c', receipt_count: 3, genesis_root: 'b'.repeat(64) });
    const receipts = await writer.receipts('saga-mig-1');
    expect(cp.final_state_root).toBe(receipts[2]!.next_root);
    expect((cp.mmr as JsonObject).root).toBe(recomputedRoot(receipts));
    expect(verifyProofs(cp)[0]!.ok).toBe(true);
    for (const r of receipts) expect(computeNextRoot(r)).toBe(r.next_root);
  });
});
