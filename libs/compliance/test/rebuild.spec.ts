import * as path from 'node:path';
import { complianceTensorProjection, ProjectionHost, TensorQueries, type ProjectionStore } from '@corridor/compliance';
import type { EventStore } from '@corridor/ledger';
import { recorderProjection } from './recorder';
import { BACKENDS } from './stores';
import { tempDir, TestLedger, transitionRecorded } from './support';

const CORRIDOR = 'corridor-pk-ae';
const DOMAINS = ['aml', 'kyc', 'sanctions', 'tax', 'licensing'];
const STATES = ['compliant', 'exempt', 'pending', 'non_compliant', 'not_applicable'];

async function attestations(ledger: TestLedger, from: number, count: number, ordinal: { n: number }): Promise<void> {
  for (let i = from; i < from + count; i++) {
    await ledger.append(
      CORRIDOR,
      'corridor.transition-recorded.v1',
      transitionRecorded(CORRIDOR, ++ordinal.n, '2025-01-02T00:00:00Z', 'compliance.attestation.issued.v1', {
        subject: `entity-${i % 23}`,
        jurisdiction: i % 2 ? 'pk' : 'ae',
        domain: DOMAINS[i % DOMAINS.length]!,
        state: STATES[i % STATES.length]!,
        issuer_did: `did:key:issuer-${i % 4}`,
        issued_at: `2025-01-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`,
        expires_at: i % 3 ? null : '2025-06-01T00:00:00Z',
        n: i,
      }),
    );
  }
}

describe.each(BACKENDS.map((b) => [b().name, b] as const))('rebuild and swap on %s', (_name, backendOf) => {
  const backend = backendOf();
  let tmp: ReturnType<typeof tempDir>;
  let n = 0;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    await backend.setup();
    tmp = tempDir();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(async () => {
    tmp.cleanup();
    await backend.teardown();
  });

  async function fixture() {
    const ledger = TestLedger.open(path.join(tmp.dir, `ledger-${++n}.db`));
    await ledger.append(CORRIDOR, 'corridor.created.v1', { corridor_id: CORRIDOR, at: '2025-01-01T00:00:00Z', state: 'DRAFT', trust_anchors: [] });
    const store = await backend.open();
    cleanups.push(async () => {
      await store.close();
      await ledger.close();
    });
    return { ledger, store };
  }

  function host(events: EventStore, store: ProjectionStore, projections = [complianceTensorProjection(), recorderProjection()]) {
    const h = new ProjectionHost({ events, store, projections, batch: { maxBatchEvents: 50 } });
    cleanups.push(() => h.stop());
    return h;
  }

  /** The commitment a brand-new node computes from the whole log (another store, from scratch). */
  async function fromScratch(events: EventStore): Promise<string> {
    const other = await backend.open();
    const h = new ProjectionHost({ events, store: other, projections: [complianceTensorProjection()] });
    await h.start();
    await h.caughtUp();
    const c = (await new TensorQueries(other).commitment()).commitment;
    await h.stop();
    await other.close();
    return c;
  }

  it('builds a shadow generation while the live one serves, swaps atomically, and gets the live commitment', async () => {
    const { ledger, store } = await fixture();
    const ordinal = { n: 0 };
    await attestations(ledger, 0, 400, ordinal);
    const h = host(ledger.events, store);
    await h.start();
    await h.caughtUp();
    const q = new TensorQueries(store);
    const live = await q.commitment();
    const head = (await ledger.events.readLast(CORRIDOR))!.position;
    expect(live.generation).toBe(1);
    expect(live.cell_count).toBeGreaterThan(100);

    // Readers keep reading during the rebuild: every answer is whole and carries the same commitment.
    let reading = true;
    const seen = new Set<number>();
    const reads = (async () => {
      let count = 0;
      while (reading || count === 0) {
        const r = await q.slice({ subject: 'entity-5', jurisdiction: 'pk' }, '2025-03-01T00:00:00Z');
        expect(r.tensor.commitment).toBe(live.commitment);
        expect(r.data.cells).toHaveLength(20);
        seen.add(r.tensor.generation);
        count++;
        await new Promise((res) => setImmediate(res));
      }
      return count;
    })();
    const results = await h.rebuild();
    reading = false;
    expect(await reads).toBeGreaterThan(0);
    expect([...seen].every((g) => g === 1 || g === 2)).toBe(true);

    const tensor = results.find((r) => r.projection === 'compliance_tensor')!;
    expect(tensor).toMatchObject({ previous: 1, generation: 2, events: 401, position: head, previousPosition: head });
    expect(tensor.meta.commitment).toBe(live.commitment);
    expect(tensor.previousMeta.commitment).toBe(live.commitment);
    expect(await store.generations('compliance_tensor')).toEqual({ active: 2, all: [2] });
    expect(await store.generations('recorder')).toEqual({ active: 2, all: [2] });
    expect(results.find((r) => r.projection === 'recorder')!.meta.marker).toBe('gen-2');
    const after = await q.commitment();
    expect(after).toMatchObject({ generation: 2, commitment: live.commitment, events: 401 });

    // The rebuilt projection is the live one now: it keeps folding.
    await attestations(ledger, 400, 5, ordinal);
    const last = (await ledger.events.readLast(CORRIDOR))!.position;
    await h.waitFor(last);
    const moved = await q.commitment();
    expect(moved.generation).toBe(2);
    expect(moved.events).toBe(406);
    expect(moved.commitment).not.toBe(live.commitment);
    expect(moved.commitment).toBe(await fromScratch(ledger.events));
  });

  it('loses nothing that arrives during the rebuild', async () => {
    const { ledger, store } = await fixture();
    const ordinal = { n: 0 };
    await attestations(ledger, 0, 200, ordinal);
    const h = host(ledger.events, store);
    await h.start();
    await h.caughtUp();
    const writing = attestations(ledger, 200, 150, ordinal);
    const results = await h.rebuild(['compliance_tensor']);
    await writing;
    expect(results).toHaveLength(1);
    const last = (await ledger.events.readLast(CORRIDOR))!.position;
    await h.waitFor(last);
    const q = new TensorQueries(store);
    const c = await q.commitment();
    expect(c).toMatchObject({ generation: 2, events: 351 });
    expect(c.commitment).toBe(await fromScratch(ledger.events));
    // The recorder was not rebuilt: still generation 1, and it saw everything exactly once.
    const rec = (await store.reader('recorder', 1).entries('streams'))[0]![1] as { sequences: number[] };
    expect(rec.sequences).toEqual(Array.from({ length: 351 }, (_, i) => i));
  });

  it('drops a shadow that fails and leaves the live projection serving', async () => {
    const { ledger, store } = await fixture();
    await attestations(ledger, 0, 30, { n: 0 });
    const h = host(ledger.events, store, [recorderProjection({ failOn: (_s, seq, generation) => generation > 1 && seq === 20 })]);
    await h.start();
    await h.caughtUp();
    await expect(h.rebuild()).rejects.toThrow(/refusing corridor-pk-ae#20/);
    expect(await store.generations('recorder')).toEqual({ active: 1, all: [1] });
    const p = await ledger.append(CORRIDOR, 'corridor.transition-recorded.v1', transitionRecorded(CORRIDOR, 99, '2025-01-03T00:00:00Z', 'trade.invoice.v1', {}));
    await h.waitFor(p);
    expect(h.projection('recorder')).toMatchObject({ generation: 1, events: 32, state: 'running' });
  });
});
