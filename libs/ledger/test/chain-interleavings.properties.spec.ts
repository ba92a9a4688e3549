/**
 * Property: random interleavings of appends (pipelined, stale, ahead of the head, retried), across streams and
 * across restarts, never produce a gap, a duplicate or a broken chain — and every outcome is the one a sequential
 * model of exact expected revisions predicts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import type { JsonObject } from '@corridor/protocol';
import { NO_STREAM, ReceiptChainWriter, SqliteEventStore, WrongExpectedRevisionError, type AppendedReceipts, type ChainEvent, type ExpectedRevision } from '@corridor/ledger';
import { chainEvent, NODE_KEY, profileFor, recomputedRoot, tempDir, verifyStoredChain } from './support/chain-fixtures';

const STREAMS = 3;

type Op =
  | { kind: 'append'; stream: number; n: number; expect: 'head' | 'stale' | 'ahead' }
  | { kind: 'retry'; pick: number }
  | { kind: 'restart' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), stream: fc.nat(STREAMS - 1), n: fc.integer({ min: 1, max: 3 }), expect: fc.constant('head' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('append' as const), stream: fc.nat(STREAMS - 1), n: fc.integer({ min: 1, max: 3 }), expect: fc.constantFrom('stale' as const, 'ahead' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('retry' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

interface Done {
  stream: number;
  events: ChainEvent[];
  expected: ExpectedRevision;
  result: AppendedReceipts;
}

const streamName = (s: number) => `corridor-prop-${s}`;

describe('receipt chains under random interleavings', () => {
  it('never gap, never duplicate, never break a chain; every outcome as a sequential model predicts', async () => {
    let seed = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 10 }), fc.boolean(), fc.constantFrom(0, 2), async (rounds, writerThread, signingWorkers) => {
        const dir = tempDir('ledger-prop-');
        const file = path.join(dir, 'ledger.sqlite');
        let store = SqliteEventStore.open({ path: file, writerThread });
        let writer = new ReceiptChainWriter(store, NODE_KEY, { signingWorkers });
        const model: string[][] = Array.from({ length: STREAMS }, () => []);
        const done: Done[] = [];
        try {
          for (const round of rounds) {
            // Issue the whole round at once, in order; the model runs the same appends sequentially in that order.
            const predicted = model.map((m) => m.length - 1);
            const issued: { promise: Promise<AppendedReceipts>; expect: 'ok' | 'conflict' | 'idempotent'; record?: Omit<Done, 'result'>; original?: AppendedReceipts }[] = [];
            let restart = false;
            for (const op of round) {
              if (op.kind === 'restart') {
                restart = true;
                continue;
              }
              if (op.kind === 'retry') {
                if (done.length === 0) continue;
                const d = done[op.pick % done.length]!;
                issued.push({ promise: writer.append(streamName(d.stream), profileFor(`prop-${d.stream}`), d.events, d.expected), expect: 'idempotent', original: d.result });
                continue;
              }
              const events = Array.from({ length: op.n }, () => chainEvent(++seed));
              const head = predicted[op.stream]!;
              let expectedLast: number;
              if (op.expect === 'head') expectedLast = head;
              else if (op.expect === 'ahead') expectedLast = head + 2;
              else expectedLast = head - 1;
              const expected: ExpectedRevision = expectedLast < 0 ? NO_STREAM : expectedLast;
              // "Stale" on an empty stream is NO_STREAM: the first append, which succeeds.
              const conflict = op.expect === 'ahead' || (op.expect === 'stale' && head >= 0);
              if (!conflict) {
                model[op.stream]!.push(...events.map((e) => e.at));
                predicted[op.stream] = head + op.n;
              }
              issued.push({
                promise: writer.append(streamName(op.stream), profileFor(`prop-${op.stream}`), events, expected),
                expect: conflict ? 'conflict' : 'ok',
                record: { stream: op.stream, events, expected },
              });
            }
            const settled = await Promise.allSettled(issued.map((i) => i.promise));
            settled.forEach((s, i) => {
              const want = issued[i]!;
              if (want.expect === 'conflict') {
                expect(s.status).toBe('rejected');
                expect((s as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
                return;
              }
              if (s.status === 'rejected') throw s.reason;
              expect(s.value.idempotent).toBe(want.expect === 'idempotent');
              if (want.original) expect(s.value).toEqual({ ...want.original, idempotent: true });
              if (want.record) done.push({ ...want.record, result: s.value });
            });

            if (restart) {
              await writer.close();
              await store.close();
              store = SqliteEventStore.open({ path: file, writerThread });
              writer = new ReceiptChainWriter(store, NODE_KEY, { signingWorkers });
            }

            for (let s = 0; s < STREAMS; s++) {
              const events = await store.read(streamName(s));
              // No gap, no duplicate, exactly what the model holds, in order.
              expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
              expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
              expect(events.map((e) => (JSON.parse(e.data) as { timestamp: string }).timestamp)).toEqual(model[s]);
              if (events.length === 0) {
                expect(await writer.head(streamName(s))).toBeNull();
                continue;
              }
              // The chain verifies with the protocol, and the head's MMR is the one recomputed from scratch.
              const v = await verifyStoredChain(store, streamName(s), `prop-${s}`);
              expect(v.errors).toEqual([]);
              const receipts = events.map((e) => JSON.parse(e.data) as JsonObject);
              const head = (await writer.head(streamName(s)))!;
              expect(head.revision).toBe(events.length - 1);
              expect(head.mmr.root).toBe(recomputedRoot(receipts));
              expect(head.mmr.root).toBe(v.result!.mmr.root);
            }
          }
        } finally {
          await writer.close();
          await store.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
