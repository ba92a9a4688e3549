/**
 * The event-store contract: one suite, run unchanged against every adapter (SQLite, EventStoreDB through the
 * gRPC fake, a real EventStoreDB when EVENTSTORE_URL is set). Every test works under its own random stream
 * prefix and filters the global log by it, so the suite also runs against a shared, non-empty server.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  comparePositions,
  InvalidAppendError,
  NO_STREAM,
  sqliteConsumer,
  startCatchUpSubscription,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type GlobalPosition,
  type StoredEvent,
} from '@corridor/ledger';

export interface ContractHarness {
  /** The store under test; after `restart()` a new instance over the same data. */
  store(): EventStore;
  /** Simulates a restart of the process (and, where it applies, of the server), keeping the data. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

let counter = 0;
function prefix(): string {
  return `ct${randomUUID().slice(0, 8)}x${counter++}-`;
}

function ev(type: string, data: unknown, metadata?: Record<string, string | number>): EventToAppend {
  return { id: randomUUID(), type, data: JSON.stringify(data), ...(metadata ? { metadata } : {}) };
}

async function expectConflict(p: Promise<unknown>): Promise<WrongExpectedRevisionError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(WrongExpectedRevisionError);
    return e as WrongExpectedRevisionError;
  }
  throw new Error('expected a WrongExpectedRevisionError, the append succeeded');
}

async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function eventStoreContract(name: string, makeHarness: () => Promise<ContractHarness>): void {
  describe(`event store contract: ${name}`, () => {
    let h: ContractHarness;
    let tmp: string;

    beforeAll(async () => {
      h = await makeHarness();
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-contract-'));
    });
    afterAll(async () => {
      await h?.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    describe('append and read', () => {
      it('appends to a new stream and reads events back byte for byte, in revision order', async () => {
        const s = prefix() + 'a';
        const events = [
          ev('Opened', { n: 1 }, { causation: 'c-1', n: 7 }),
          { id: randomUUID(), type: 'Big', data: '{"amount":123456789012345678901234567890,"x":"é😀\\u0000"}' },
          ev('Closed', { n: 3 }),
        ];
        const result = await h.store().append(s, events, NO_STREAM);
        expect(result).toEqual({ stream: s, nextExpectedRevision: 2 });
        const read = await h.store().read(s);
        expect(read.map((e) => [e.stream, e.revision, e.id, e.type, e.data])).toEqual(events.map((e, i) => [s, i, e.id, e.type, e.data]));
        expect(read[0]!.metadata).toEqual({ causation: 'c-1', n: 7 });
        expect(read[1]!.metadata).toBeUndefined();
        expect(read[0]!.recordedAt).toBeInstanceOf(Date);
        for (let i = 1; i < read.length; i++) expect(comparePositions(read[i - 1]!.position, read[i]!.position)).toBeLessThan(0);
      });

      it('continues a stream only at its exact last revision', async () => {
        const s = prefix() + 'b';
        await h.store().append(s, [ev('E', 0)], NO_STREAM);
        expect((await h.store().append(s, [ev('E', 1), ev('E', 2)], 0)).nextExpectedRevision).toBe(2);
        const stale = await expectConflict(h.store().append(s, [ev('E', 'x')], 1));
        expect([stale.stream, stale.expected, stale.actual]).toEqual([s, 1, 2]);
        expect(stale.status).toBe(409);
        expect(stale.type).toBe('https://corridor-ledger.dev/problems/wrong-expected-revision');
        expect(stale.toProblem()).toMatchObject({ status: 409, stream: s, expectedRevision: 1, actualRevision: 2 });
        const ahead = await expectConflict(h.store().append(s, [ev('E', 'y')], 5));
        expect(ahead.actual).toBe(2);
        const exists = await expectConflict(h.store().append(s, [ev('E', 'z')], NO_STREAM));
        expect(exists.actual).toBe(2);
        const missing = await expectConflict(h.store().append(prefix() + 'none', [ev('E', 'z')], 0));
        expect(missing.actual).toBe(NO_STREAM);
        expect((await h.store().read(s)).map((e) => e.data)).toEqual(['0', '1', '2']);
      });

      it('reads from a revision with a limit; unknown streams read as empty', async () => {
        const s = prefix() + 'c';
        await h.store().append(s, Array.from({ length: 10 }, (_, i) => ev('E', i)), NO_STREAM);
        expect((await h.store().read(s, { fromRevision: 4, maxCount: 3 })).map((e) => e.revision)).toEqual([4, 5, 6]);
        expect((await h.store().read(s, { fromRevision: 8 })).map((e) => e.data)).toEqual(['8', '9']);
        expect(await h.store().read(s, { fromRevision: 10 })).toEqual([]);
        expect((await h.store().readLast(s))?.revision).toBe(9);
        expect(await h.store().read(prefix() + 'nothing')).toEqual([]);
        expect(await h.store().readLast(prefix() + 'nothing')).toBeUndefined();
      });

      it('refuses malformed appends the same way on every adapter', async () => {
        const s = prefix() + 'v';
        await expect(h.store().append(s, [], NO_STREAM)).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(h.store().append(s, [{ id: 'not-a-uuid', type: 'E', data: '{}' }], NO_STREAM)).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(h.store().append('$' + s, [ev('E', 1)], NO_STREAM)).rejects.toBeInstanceOf(InvalidAppendError);
        const dup = ev('E', 1);
        await expect(h.store().append(s, [dup, dup], NO_STREAM)).rejects.toBeInstanceOf(InvalidAppendError);
        await expect(h.store().append(s, [ev('E', 1)], -1 as never)).rejects.toBeInstanceOf(InvalidAppendError);
        expect(await h.store().read(s)).toEqual([]);
      });
    });

    describe('optimistic concurrency', () => {
      it('lets exactly one of many concurrent appenders win each revision', async () => {
        const s = prefix() + 'race';
        const appenders = 8;
        const rounds = 12;
        let expected: typeof NO_STREAM | number = NO_STREAM;
        for (let round = 0; round < rounds; round++) {
          const attempts = Array.from({ length: appenders }, (_, i) => ev('Attempt', { round, i }));
          const settled = await Promise.allSettled(attempts.map((e) => h.store().append(s, [e], expected)));
          const winners = settled.filter((r) => r.status === 'fulfilled');
          expect(winners).toHaveLength(1);
          for (const r of settled) {
            if (r.status === 'rejected') {
              expect(r.reason).toBeInstanceOf(WrongExpectedRevisionError);
              expect((r.reason as WrongExpectedRevisionError).actual).toBe(round);
            }
          }
          expected = round;
        }
        const events = await h.store().read(s);
        expect(events.map((e) => e.revision)).toEqual(Array.from({ length: rounds }, (_, i) => i));
        expect(events.map((e) => (JSON.parse(e.data) as { round: number }).round)).toEqual(Array.from({ length: rounds }, (_, i) => i));
      });

      it('loses nothing and duplicates nothing when concurrent writers retry on conflicts', async () => {
        const s = prefix() + 'retry';
        const writers = 5;
        const perWriter = 8;
        let conflicts = 0;
        const write = async (w: number) => {
          for (let k = 0; k < perWriter; k++) {
            const e = ev('W', { w, k });
            for (;;) {
              const last = await h.store().readLast(s);
              try {
                await h.store().append(s, [e], last ? last.revision : NO_STREAM);
                break;
              } catch (err) {
                if (!(err instanceof WrongExpectedRevisionError)) throw err;
                conflicts++;
              }
            }
          }
        };
        await Promise.all(Array.from({ length: writers }, (_, w) => write(w)));
        const events = await h.store().read(s);
        expect(events).toHaveLength(writers * perWriter);
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => i));
        expect(new Set(events.map((e) => e.id)).size).toBe(writers * perWriter);
        for (let w = 0; w < writers; w++) {
          const mine = events.map((e) => JSON.parse(e.data) as { w: number; k: number }).filter((d) => d.w === w);
          expect(mine.map((d) => d.k)).toEqual(Array.from({ length: perWriter }, (_, k) => k));
        }
        expect(conflicts).toBeGreaterThan(0);
      });
    });

    describe('idempotent retries', () => {
      it('treats a re-sent append as a no-op that returns the original result', async () => {
        const s = prefix() + 'idem';
        const batch = [ev('A', 1), ev('B', 2)];
        const first = await h.store().append(s, batch, NO_STREAM);
        const again = await h.store().append(s, batch, NO_STREAM);
        expect(again).toEqual(first);
        await h.store().append(s, [ev('C', 3)], 1);
        expect(await h.store().append(s, batch, NO_STREAM)).toEqual(first);
        expect(await h.store().append(s, [batch[1]!], 0)).toEqual({ stream: s, nextExpectedRevision: 1 });
        expect((await h.store().read(s)).map((e) => e.data)).toEqual(['1', '2', '3']);
      });

      it('refuses a retry whose events only partly match what is stored', async () => {
        const s = prefix() + 'partial';
        const a = ev('A', 1);
        await h.store().append(s, [a, ev('B', 2)], NO_STREAM);
        await expectConflict(h.store().append(s, [a, ev('X', 9)], NO_STREAM));
        await expectConflict(h.store().append(s, [ev('Y', 9)], NO_STREAM));
        expect((await h.store().read(s)).map((e) => e.data)).toEqual(['1', '2']);
      });

      it('stores an append once when the retry races the original', async () => {
        const s = prefix() + 'racing-retry';
        const batch = [ev('A', 1), ev('B', 2), ev('C', 3)];
        const results = await Promise.all([h.store().append(s, batch, NO_STREAM), h.store().append(s, batch, NO_STREAM), h.store().append(s, batch, NO_STREAM)]);
        for (const r of results) expect(r.nextExpectedRevision).toBe(2);
        expect((await h.store().read(s)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });
    });

    describe('global order', () => {
      it('reads all streams in one stable commit order, from any position, with filters', async () => {
        const p = prefix();
        const written: EventToAppend[] = [];
        const revisions = new Map<string, number>();
        for (let i = 0; i < 24; i++) {
          const stream = `${p}s${i % 3}`;
          const e = ev(i % 2 ? 'Odd' : 'Even', i);
          const expected = revisions.get(stream);
          const r = await h.store().append(stream, [e], expected ?? NO_STREAM);
          revisions.set(stream, r.nextExpectedRevision);
          written.push(e);
        }
        const first = (await h.store().read(`${p}s0`, { maxCount: 1 }))[0]!;
        const all = await h.store().readAll({ fromPosition: first.position, filter: { on: 'stream', prefixes: [p] } });
        expect(all.map((e) => e.id)).toEqual(written.map((e) => e.id));
        for (let i = 1; i < all.length; i++) expect(comparePositions(all[i - 1]!.position, all[i]!.position)).toBeLessThan(0);
        const again = await h.store().readAll({ fromPosition: first.position, filter: { on: 'stream', prefixes: [p] } });
        expect(again).toEqual(all);

        const fromTenth = await h.store().readAll({ fromPosition: all[10]!.position, maxCount: 5, filter: { on: 'stream', prefixes: [p] } });
        expect(fromTenth.map((e) => e.id)).toEqual(written.slice(10, 15).map((e) => e.id));
        const oneStream = await h.store().readAll({ fromPosition: first.position, filter: { on: 'stream', prefixes: [`${p}s1`] } });
        expect(oneStream.map((e) => e.data)).toEqual(['1', '4', '7', '10', '13', '16', '19', '22']);
        for (const e of all) expect(e.stream.startsWith('$')).toBe(false);

        // The stream view and the global view agree on every event's position.
        const s2 = await h.store().read(`${p}s2`);
        expect(s2.map((e) => e.position)).toEqual(all.filter((e) => e.stream === `${p}s2`).map((e) => e.position));
      });

      it('keeps the order it reported once more events commit concurrently', async () => {
        const p = prefix();
        await Promise.all(Array.from({ length: 10 }, (_, i) => h.store().append(`${p}${i}`, [ev('E', i)], NO_STREAM)));
        const filter = { on: 'stream', prefixes: [p] } as const;
        const firstRead = await h.store().readAll({ filter, fromPosition: await firstPositionOf(h.store(), p, 10) });
        expect(firstRead).toHaveLength(10);
        await Promise.all(Array.from({ length: 10 }, (_, i) => h.store().append(`${p}${i}`, [ev('E', 10 + i)], 0)));
        const secondRead = await h.store().readAll({ filter, fromPosition: firstRead[0]!.position });
        expect(secondRead).toHaveLength(20);
        expect(secondRead.slice(0, 10)).toEqual(firstRead);
      });
    });

    describe('catch-up subscriptions', () => {
      it('delivers history then live events in global order, once each', async () => {
        const p = prefix();
        await h.store().append(`${p}x`, [ev('E', 0), ev('E', 1)], NO_STREAM);
        const sub = h.store().subscribeToAll({ filter: { on: 'stream', prefixes: [p] } });
        const seen: StoredEvent[] = [];
        const loop = (async () => {
          for await (const e of sub) seen.push(e);
        })();
        await sub.caughtUp;
        await h.store().append(`${p}y`, [ev('E', 2)], NO_STREAM);
        await h.store().append(`${p}x`, [ev('E', 3)], 1);
        await until(() => seen.length >= 4, 'four events');
        await sub.stop();
        await loop;
        expect(seen.map((e) => e.data)).toEqual(['0', '1', '2', '3']);
        const all = await h.store().readAll({ fromPosition: seen[0]!.position, filter: { on: 'stream', prefixes: [p] } });
        expect(seen.map((e) => [e.id, e.position])).toEqual(all.map((e) => [e.id, e.position]));
      });

      it('resumes strictly after a position and filters by event type', async () => {
        const p = prefix();
        const type = `T${p.replace(/-/g, '')}`;
        await h.store().append(`${p}z`, [ev(type + 'A', 0), ev('Other', 1), ev(type + 'B', 2), ev(type + 'A', 3)], NO_STREAM);
        const events = await h.store().read(`${p}z`);
        const sub = h.store().subscribeToAll({ after: events[0]!.position, filter: { on: 'event-type', prefixes: [type] } });
        const seen: string[] = [];
        for await (const e of sub) {
          seen.push(e.data);
          if (seen.length === 2) break;
        }
        await sub.stop();
        expect(seen).toEqual(['2', '3']);
      });

      it('a restarted consumer resumes exactly after its checkpoint: nothing skipped, nothing twice', async () => {
        const p = prefix();
        const filter = { on: 'stream', prefixes: [p] } as const;
        const projectionFile = path.join(tmp, `${p}projection.sqlite`);
        const openProjection = () => {
          const db = new Database(projectionFile);
          db.pragma('journal_mode = WAL');
          db.exec('CREATE TABLE IF NOT EXISTS seen (n INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, data TEXT NOT NULL)');
          return db;
        };
        let failOn: string | undefined;
        const consumer = (db: Database.Database) =>
          sqliteConsumer({
            name: `${p}projection`,
            db,
            project: (e, d) => {
              d.prepare('INSERT INTO seen (event_id, data) VALUES (?, ?)').run(e.id, e.data);
              if (JSON.parse(e.data) === failOn) throw new Error(`simulated crash while projecting ${failOn}`);
            },
          });

        const expectedData: string[] = [];
        const append = async (stream: string, from: number, n: number) => {
          const last = await h.store().readLast(stream);
          const batch = Array.from({ length: n }, (_, i) => ev('E', `${from + i}`));
          await h.store().append(stream, batch, last ? last.revision : NO_STREAM);
          expectedData.push(...batch.map((e) => e.data));
        };
        await append(`${p}a`, 0, 5);
        await append(`${p}b`, 5, 5);

        // First run: processes the history and some live events, then stops.
        let db = openProjection();
        let run = startCatchUpSubscription(h.store(), consumer(db), { filter });
        await run.caughtUp;
        await append(`${p}a`, 10, 3);
        let tail = (await h.store().readLast(`${p}a`))!;
        await run.waitFor(tail.position);
        await run.stop();
        db.close();

        // Events arrive while nobody listens; the store restarts too.
        await append(`${p}b`, 13, 4);
        await h.restart();

        // Second run crashes in the middle of an event: its projection write is rolled back with the checkpoint.
        failOn = '15';
        db = openProjection();
        run = startCatchUpSubscription(h.store(), consumer(db), { filter });
        await expect(run.done).rejects.toThrow('simulated crash while projecting 15');
        db.close();

        // Third run: resumes with the event that failed.
        failOn = undefined;
        await append(`${p}a`, 17, 3);
        db = openProjection();
        run = startCatchUpSubscription(h.store(), consumer(db), { filter });
        tail = (await h.store().readLast(`${p}a`))!;
        await run.waitFor(tail.position);
        await run.stop();
        const rows = db.prepare('SELECT event_id, data FROM seen ORDER BY n').all() as { event_id: string; data: string }[];
        db.close();
        expect(rows.map((r) => r.data)).toEqual(expectedData);
        const all = await h.store().readAll({ filter, fromPosition: (await h.store().read(`${p}a`, { maxCount: 1 }))[0]!.position });
        expect(rows.map((r) => r.event_id)).toEqual(all.map((e) => e.id));
      });
    });
  });
}

async function firstPositionOf(store: EventStore, p: string, streams: number): Promise<GlobalPosition> {
  let min: GlobalPosition | undefined;
  for (let i = 0; i < streams; i++) {
    const [e] = await store.read(`${p}${i}`, { maxCount: 1 });
    if (e && (!min || comparePositions(e.position, min) < 0)) min = e.position;
  }
  if (!min) throw new Error('no events');
  return min;
}
