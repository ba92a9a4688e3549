import * as path from 'node:path';
import { ProjectionGapError, ProjectionHost, SqliteProjectionStore, type Doc, type ProjectionDefinition, type ProjectionStore } from '@corridor/compliance';
import { recorderProjection } from './recorder';
import { tempDir, TestLedger } from './support';

/**
 * The runner's pipelined commits (spec/projections.md §3): with a store that copies a batch on commit, the next
 * batch folds while the previous one commits. These tests make every commit acknowledge late, so a batch always
 * folds (and fails) while the one before is still in flight, and check that failures still leave the checkpoint
 * exactly where the spec says.
 */

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Commits that are done at once but acknowledged `ms` later; counts the commits in flight at the same time. */
function lateAcknowledging(store: ProjectionStore, ms = 20): ProjectionStore & { maxInFlight: number } {
  let inFlight = 0;
  const stats = { maxInFlight: 0 };
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'maxInFlight') return stats.maxInFlight;
      if (prop === 'commit') {
        return async (...args: Parameters<ProjectionStore['commit']>) => {
          inFlight++;
          stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
          try {
            await target.commit(...args);
            await new Promise((resolve) => setTimeout(resolve, ms));
          } finally {
            inFlight--;
          }
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  }) as ProjectionStore & { maxInFlight: number };
}

/** Folds slowly enough that the next batch is still folding when the previous commit is acknowledged late. */
function slowly(definition: ProjectionDefinition): ProjectionDefinition {
  return {
    ...definition,
    async open(reader) {
      const h = await definition.open(reader);
      return {
        ...h,
        async fold(record, tx) {
          await new Promise((resolve) => setTimeout(resolve, 2));
          await h.fold(record, tx);
        },
      };
    },
  };
}

async function recorded(store: ProjectionStore, name = 'recorder'): Promise<Map<string, number[]>> {
  const { active } = await store.generations(name);
  const entries = await store.reader(name, active!).entries('streams');
  return new Map(entries.map(([k, d]) => [k, (d as { sequences: number[] }).sequences]));
}

describe('pipelined commits: failures while a commit is in flight', () => {
  const tmp = tempDir();
  let n = 0;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(() => tmp.cleanup());

  async function fixture() {
    const ledger = TestLedger.open(path.join(tmp.dir, `ledger-${++n}.db`));
    const inner = SqliteProjectionStore.open({ path: path.join(tmp.dir, `projections-${n}.db`) });
    const store = lateAcknowledging(inner);
    cleanups.push(async () => {
      await inner.close();
      await ledger.close();
    });
    return { ledger, store };
  }

  function host(ledger: TestLedger, store: ProjectionStore, projections: ProjectionDefinition[], maxBatchEvents: number) {
    const h = new ProjectionHost({ events: ledger.events, store, projections, batch: { maxBatchEvents, maxBatchMs: 60_000 } });
    cleanups.push(() => h.stop());
    return h;
  }

  it('never has two commits of a projection in flight, and folds every event once', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(40)) await ledger.append(`s${i % 3}`, 'test.happened.v1', { i });
    const h = host(ledger, store, [slowly(recorderProjection())], 4);
    await h.start();
    await h.caughtUp();
    expect(store.maxInFlight).toBe(1);
    expect(await recorded(store)).toEqual(new Map([['s0', range(14)], ['s1', range(13)], ['s2', range(13)]]));
    expect(h.projection('recorder').events).toBe(40);
  });

  it('stops a projection whose fold fails only after the commit in flight, with the checkpoint right after it', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(12)) await ledger.append('a', 'test.happened.v1', { i });
    const h = host(ledger, store, [slowly(recorderProjection({ failOn: (_s, seq) => seq === 7 }))], 5);
    await h.start();
    const p = h.projection('recorder');
    await expect(p.done).rejects.toThrow(/refusing a#7/);
    // When `done` rejects, batch 0..4 is committed (it was in flight) and nothing of 5..6 (its batch failed).
    expect(p.state).toBe('failed');
    expect(p.events).toBe(5);
    expect(await recorded(store)).toEqual(new Map([['a', range(5)]]));
    const { active } = await store.generations('recorder');
    expect((await store.reader('recorder', active!).checkpoint()).events).toBe(5);
  });

  it('commits everything before a gap, after the commit in flight, and stops right before the gap', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(7)) await ledger.append('a', 'test.happened.v1', { i });
    await ledger.append('a', 'test.happened.v1', { i: 8 }, { sequence: 8 });
    const h = host(ledger, store, [slowly(recorderProjection())], 5);
    await h.start();
    const p = h.projection('recorder');
    await expect(p.done).rejects.toBeInstanceOf(ProjectionGapError);
    expect(p.events).toBe(7);
    expect(await recorded(store)).toEqual(new Map([['a', range(7)]]));
    const { active } = await store.generations('recorder');
    const reader = store.reader('recorder', active!);
    expect((await reader.checkpoint()).events).toBe(7);
    expect(await reader.streamSequence('a')).toBe(6);
  });

  it('commits nothing of a batch whose beforeCommit throws', async () => {
    const { ledger, store } = await fixture();
    for (const i of range(12)) await ledger.append('a', 'test.happened.v1', { i });
    let commits = 0;
    const inner = recorderProjection();
    const refusing: ProjectionDefinition = {
      ...inner,
      async open(reader) {
        const h = await inner.open(reader);
        return {
          ...h,
          beforeCommit(tx) {
            // The first batch writes a marker through beforeCommit; the second refuses to commit.
            if (++commits === 2) throw new Error('refusing the second batch');
            tx.put('totals', 'marker', commits as Doc);
          },
        };
      },
    };
    const h = host(ledger, store, [slowly(refusing)], 5);
    await h.start();
    await expect(h.projection('recorder').done).rejects.toThrow(/refusing the second batch/);
    expect(await recorded(store)).toEqual(new Map([['a', range(5)]]));
    const { active } = await store.generations('recorder');
    const reader = store.reader('recorder', active!);
    expect(await reader.get('totals', 'marker')).toBe(1);
    expect((await reader.checkpoint()).events).toBe(5);
  });
});
