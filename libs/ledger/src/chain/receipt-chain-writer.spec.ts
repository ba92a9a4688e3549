import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  canonicalize,
  computeNextRoot,
  Ed25519KeyPair,
  mmrRootFromNextRoots,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyProofs,
  type JsonObject,
} from '@corridor/protocol';
import { NO_STREAM } from '../port/event-store.port';
import { WrongExpectedRevisionError } from '../port/errors';
import { SqliteEventStore } from '../sqlite/sqlite-event-store';
import type { ChainProfile } from './chain-profile';
import { ReceiptChainWriter } from './receipt-chain-writer';

const key = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 7), 'node-1');
const GENESIS = 'a'.repeat(64);
const profile: ChainProfile = {
  receiptType: 'MSEZCorridorStateReceipt',
  subjectField: 'corridor_id',
  subjectId: 'org.example.corridor',
  genesisRoot: GENESIS,
  lawpackDigestSet: [],
  rulesetDigestSet: ['b'.repeat(64)],
};

const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const event = (i: number) => ({ type: 'trade.invoice.issued.v1', data: { invoice: `INV-${i}` }, at: at(i) });

function openStore(dir: string): SqliteEventStore {
  return SqliteEventStore.open({ path: join(dir, 'ledger.sqlite') });
}

/** Checks a chain with nothing but the protocol: links, next_roots, signatures, MMR. */
function expectValidChain(receipts: JsonObject[]): void {
  let prev = GENESIS;
  receipts.forEach((r, i) => {
    expect(r.sequence).toBe(i);
    expect(r.prev_root).toBe(prev);
    expect(computeNextRoot(r)).toBe(r.next_root);
    expect(verifyProofs(r).map((p) => p.ok)).toEqual([true]);
    prev = r.next_root as string;
  });
}

describe('ReceiptChainWriter on SQLite', () => {
  it('builds a signed, linked chain whose MMR the protocol recomputes, and resumes after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chain-writer-'));
    let store = openStore(dir);
    let writer = new ReceiptChainWriter(store, key);
    const first = await writer.append('corridor-1', profile, [event(0), event(1), event(2)], NO_STREAM);
    expect(first.firstSequence).toBe(0);
    expect(first.nextExpectedRevision).toBe(2);
    await writer.append('corridor-1', profile, [event(3)], 2);
    await store.close();

    // A new process: the head comes from the last event alone.
    store = openStore(dir);
    writer = new ReceiptChainWriter(store, key);
    const head = await writer.head('corridor-1');
    expect(head?.revision).toBe(3);
    const more = await writer.append('corridor-1', profile, [event(4), event(5), event(6)], 3);
    const receipts = await writer.receipts('corridor-1');
    expectValidChain(receipts);
    const roots = receipts.map((r) => r.next_root as string);
    expect(more.mmr.root).toBe(mmrRootFromNextRoots(roots).root);
    expect(more.mmr.peaks).toEqual(mmrRootFromNextRoots(roots).peaks);
    await store.close();
  });

  it('gives the canonical text of each receipt exactly as stored, for new appends and recognised retries', async () => {
    const store = openStore(mkdtempSync(join(tmpdir(), 'chain-writer-')));
    for (const writer of [new ReceiptChainWriter(store, key), new ReceiptChainWriter(store, key, { signingWorkers: 1 })]) {
      const stream = `texts-${writer.signingParallelism}`;
      const appended = await Promise.all([writer.append(stream, profile, [event(0), event(1)], NO_STREAM), writer.append(stream, profile, [event(2)], 1)]);
      const retried = await writer.append(stream, profile, [event(0), event(1)], NO_STREAM);
      expect(retried.idempotent).toBe(true);
      const stored = (await store.read(stream)).map((e) => e.data);
      expect([...appended.flatMap((a) => a.texts), ...retried.texts]).toEqual([...stored, ...stored.slice(0, 2)]);
      for (const a of [...appended, retried]) expect(a.texts).toEqual(a.receipts.map((r) => canonicalize(r)));
      await writer.close();
    }
    await store.close();
  });

  it('refuses a stale expected revision with the typed conflict error and stores nothing', async () => {
    const store = openStore(mkdtempSync(join(tmpdir(), 'chain-writer-')));
    const writer = new ReceiptChainWriter(store, key);
    await writer.append('s', profile, [event(0)], NO_STREAM);
    await expect(writer.append('s', profile, [event(1)], NO_STREAM)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect((await writer.receipts('s')).length).toBe(1);
    await store.close();
  });

  it('serialises concurrent appends to one stream: exactly one wins each revision', async () => {
    const store = openStore(mkdtempSync(join(tmpdir(), 'chain-writer-')));
    const writer = new ReceiptChainWriter(store, key);
    const attempts = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => writer.append('race', profile, [event(i)], NO_STREAM)));
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    expect(attempts.filter((a) => a.status === 'rejected' && a.reason instanceof WrongExpectedRevisionError)).toHaveLength(7);
    expectValidChain(await writer.receipts('race'));
    await store.close();
  });

  it('serves inclusion proofs for every leaf at every size, and consistency proofs between any two sizes', async () => {
    const store = openStore(mkdtempSync(join(tmpdir(), 'chain-writer-')));
    const writer = new ReceiptChainWriter(store, key);
    let rev: number | typeof NO_STREAM = NO_STREAM;
    for (let i = 0; i < 37; i++) rev = (await writer.append('p', profile, [event(i)], rev)).nextExpectedRevision;
    const roots = (await writer.receipts('p')).map((r) => r.next_root as string);
    for (const size of [1, 2, 3, 7, 8, 20, 37]) {
      const expectedRoot = mmrRootFromNextRoots(roots.slice(0, size)).root;
      for (let i = 0; i < size; i++) {
        const proof = await writer.inclusionProof('p', i, size);
        expect(proof.root).toBe(expectedRoot);
        expect(verifyInclusionProof(proof)).toEqual({ valid: true });
      }
    }
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 37 }), fc.integer({ min: 1, max: 37 }), async (a, b) => {
        const [m, n] = a <= b ? [a, b] : [b, a];
        const proof = await writer.consistencyProof('p', m, n);
        const trusted = { oldSize: m, oldRoot: mmrRootFromNextRoots(roots.slice(0, m)).root, newSize: n, newRoot: mmrRootFromNextRoots(roots.slice(0, n)).root };
        expect(verifyConsistencyProof(proof, trusted).valid).toBe(true);
      }),
      { numRuns: 60 },
    );
    await store.close();
  });

  it('a retried append of the same receipts is recognised, not duplicated', async () => {
    const store = openStore(mkdtempSync(join(tmpdir(), 'chain-writer-')));
    const writer = new ReceiptChainWriter(store, key);
    await writer.append('retry', profile, [event(0), event(1)], NO_STREAM);
    const events = await store.read('retry');
    // The same events again at the same revisions (as a client retry after a lost answer would send them).
    await store.append('retry', events.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata })), NO_STREAM);
    expect(await store.read('retry')).toHaveLength(2);
    await store.close();
  });
});
