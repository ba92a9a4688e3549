/**
 * The node's metrics (spec/telemetry.md) through an in-memory metric reader: the append latency histogram and the
 * receipts counter move with every append, projection lag drains to 0, an SSE subscriber is counted with its lag,
 * and the watcher quorum age is known — also after a restart, from the lifecycle chain.
 */
import { AggregateStore } from '../../apps/node/src/aggregates/aggregate-store';
import { CorridorAggregate } from '../../apps/node/src/corridors/corridor-aggregate';
import { ProjectionRuntime } from '../../apps/node/src/projections/projection-runtime';
import { activeCorridor } from '../support/example-corridor';
import { waitFor } from '../support/infra';
import { startTestNode, type TestNode } from '../support/node-harness';
import { installInMemoryTelemetry, pointsOf, type InMemoryTelemetry } from './telemetry-support';

jest.setTimeout(120_000);

const CORRIDOR = 'org.example.corridor.metrics';
const LOCAL_STATE_CHANNEL = { 'corridor.aggregate': 'corridor', 'corridor.stream.kind': 'corridor', 'corridor.append.origin': 'local' };

describe('node metrics', () => {
  let telemetry: InMemoryTelemetry;
  let node: TestNode | undefined;

  beforeAll(async () => {
    telemetry = installInMemoryTelemetry();
    node = await startTestNode({ jurisdiction: 'PK', env: { CORRIDOR_SIGNING_WORKERS: '0' } });
    await activeCorridor(node, CORRIDOR);
  });

  afterAll(async () => {
    await node?.close();
    await telemetry?.shutdown();
  });

  const record = async (n: number) => {
    const r = await node!.api('POST', `/corridors/${CORRIDOR}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-M-${n}`, amount: '1.00', currency: 'USD' } } });
    expect(r.status).toBe(201);
  };

  it('counts receipts and times appends', async () => {
    const before = await telemetry.metrics.metrics();
    // Activation appended lifecycle receipts already.
    expect(pointsOf(before.get('corridor.ledger.receipts'), { 'corridor.stream.kind': 'corridor_lifecycle' })[0]?.value).toBeGreaterThanOrEqual(3);
    const count0 = pointsOf(before.get('corridor.ledger.receipts'), LOCAL_STATE_CHANNEL)[0]?.value ?? 0;
    for (let i = 0; i < 5; i++) await record(i);

    const after = await telemetry.metrics.metrics();
    const receipts = after.get('corridor.ledger.receipts')!;
    expect(receipts.descriptor.unit).toBe('{receipt}');
    expect(pointsOf(receipts, LOCAL_STATE_CHANNEL)[0]!.value).toBe(count0 + 5);

    const latency = after.get('corridor.ledger.append.duration')!;
    expect(latency.descriptor.unit).toBe('s');
    const h = pointsOf(latency, LOCAL_STATE_CHANNEL)[0]!.value as { count: number; sum: number; min: number; max: number; buckets: { boundaries: number[] } };
    expect(h.count).toBe(count0 + 5);
    expect(h.sum).toBeGreaterThan(0);
    expect(h.max).toBeLessThan(10); // seconds, not milliseconds
    expect(h.buckets.boundaries[0]).toBe(0.0005);
  });

  it('reports projection lag, draining to 0', async () => {
    await record(100);
    const lag = await waitFor(
      async () => {
        const m = await telemetry.metrics.metrics();
        const points = pointsOf(m.get('corridor.projection.lag'));
        return points.length >= 1 && points.every((p) => p.value === 0) ? { points, staleness: pointsOf(m.get('corridor.projection.staleness')) } : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: 'every projection caught up' },
    );
    expect(lag.points.map((p) => p.attributes['corridor.projection']).sort()).toContain('corridor_status');
    expect(lag.staleness.every((p) => p.value === 0)).toBe(true);

    // With the projections stopped, what is appended is lag.
    await node!.app.get(ProjectionRuntime).host.stop();
    await record(101);
    await record(102);
    const m = await telemetry.metrics.metrics();
    expect(pointsOf(m.get('corridor.projection.lag'), { 'corridor.projection': 'corridor_status' })[0]?.value).toBe(2);
    expect(pointsOf(m.get('corridor.projection.staleness'), { 'corridor.projection': 'corridor_status' })[0]?.value).toBeGreaterThan(0);
  });

  it('counts receipt-stream subscribers and how far behind they are', async () => {
    const abort = new AbortController();
    const res = await fetch(`${node!.url}/corridors/${CORRIDOR}/stream?after=-1`, { signal: abort.signal, headers: { authorization: `Bearer ${node!.operatorToken}` } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    // The stream sends the eight receipts recorded so far (0..7), then waits.
    while (!text.includes('\nid: 7\n')) text += new TextDecoder().decode((await reader.read()).value);
    const m = await telemetry.metrics.metrics();
    expect(pointsOf(m.get('corridor.stream.subscribers'), { 'corridor.id': CORRIDOR }).map((p) => p.value)).toEqual([1]);
    expect(pointsOf(m.get('corridor.stream.subscription.lag'), { 'corridor.id': CORRIDOR }).map((p) => p.value)).toEqual([0]);

    abort.abort();
    await waitFor(async () => pointsOf((await telemetry.metrics.metrics()).get('corridor.stream.subscribers'), { 'corridor.id': CORRIDOR })[0]?.value === 0, {
      timeoutMs: 10_000,
      what: 'the closed subscription to be forgotten',
    });
  });

  it('reports the age of the last watcher quorum, also after a restart', async () => {
    const store = node!.app.get(AggregateStore);
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await store.execute(node!.app.get(CorridorAggregate, { strict: false }), CORRIDOR, {
      type: 'RecordWatcherQuorum',
      at,
      data: {
        corridor_id: CORRIDOR,
        quorum: { receipt_count: 1, final_state_root: 'a'.repeat(64), mmr_root: 'b'.repeat(64), required: 1, watchers: ['did:key:z6MkwatcherAAAA'], attestation_digests: ['c'.repeat(64)] },
      },
    });
    const age = async () => pointsOf((await telemetry.metrics.metrics()).get('corridor.watcher.quorum.age'), { 'corridor.id': CORRIDOR }).map((p) => p.value as number);
    const first = await age();
    expect(first).toHaveLength(1);
    expect(first[0]).toBeGreaterThanOrEqual(0);
    expect(first[0]).toBeLessThan(60);

    // Restarted on the same data: the quorum's time is read back from the lifecycle chain.
    const dataDir = node!.dataDir;
    await node!.close();
    node = await startTestNode({ dataDir, jurisdiction: 'PK', env: { CORRIDOR_SIGNING_WORKERS: '0' } });
    const again = await waitFor(async () => {
      const v = await age();
      return v.length === 1 ? v : undefined;
    }, { timeoutMs: 20_000, intervalMs: 200, what: 'the quorum age after the restart' });
    expect(Math.abs(again[0]! - (Date.now() - Date.parse(at)) / 1000)).toBeLessThan(30);
  });
});
