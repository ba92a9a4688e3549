import type { EventStore, GlobalPosition, ReadAllOptions, StoredEvent } from '@corridor/ledger';
import type { RunningProjection } from '@corridor/compliance';
import type { PeerTransport } from '@corridor/peering';
import { checkReadiness, eventsAfter, type ReadinessSources } from './readiness';

/** A global log of `n` events at positions 1..n, readable like the event store's `readAll`. */
function log(n: number, failReads = false): EventStore {
  const events: StoredEvent[] = Array.from({ length: n }, (_, i) => ({
    stream: `corridor-c${i % 3}`,
    revision: Math.floor(i / 3),
    position: pos(i + 1),
    id: `e${i}`,
    type: 'receipt',
    data: '{}',
    metadata: undefined,
    recordedAt: new Date(0),
  }));
  return {
    async readAll(options: ReadAllOptions = {}) {
      if (failReads) throw new Error('store down');
      const from = options.fromPosition?.commit ?? 0n;
      const prefixes = options.filter?.on === 'stream' ? options.filter.prefixes : undefined;
      return events.filter((e) => e.position.commit >= from && (!prefixes || prefixes.some((p) => e.stream.startsWith(p)))).slice(0, options.maxCount ?? Infinity);
    },
    async readLast() {
      if (failReads) throw new Error('store down');
      return undefined;
    },
  } as unknown as EventStore;
}

function pos(n: number): GlobalPosition {
  return { commit: BigInt(n), prepare: BigInt(n) };
}

function projection(name: string, position: GlobalPosition | undefined, state: RunningProjection['state'] = 'running'): RunningProjection {
  return { name, position, state, generation: 1, events: 0, meta: {}, error: state === 'failed' ? new Error('gap in stream x') : undefined } as unknown as RunningProjection;
}

function sources(overrides: Partial<ReadinessSources> = {}, projections: RunningProjection[] = [projection('corridor_status', pos(10))]): ReadinessSources {
  const transport = { name: 'http', healthy: () => true } as unknown as PeerTransport;
  return {
    lifecycle: () => 'serving',
    events: log(10),
    eventStoreBackend: 'sqlite',
    transport: () => transport,
    projections: { backend: 'sqlite', host: { projections }, store: { generations: async () => ({ active: 1, all: [1] }) } },
    maxProjectionLag: 5,
    checkTimeoutMs: 200,
    ...overrides,
  };
}

describe('readiness checks', () => {
  it('are ready when every check is up, and report each one', async () => {
    const report = await checkReadiness(sources());
    expect(report.ready).toBe(true);
    expect(Object.keys(report.checks)).toEqual(['event_store', 'lifecycle', 'peer_transport', 'projections']);
    expect(report.checks.projections).toMatchObject({ status: 'up', max_lag: 5, lag: { corridor_status: 0 } });
    expect(report.checks.event_store).toMatchObject({ status: 'up', backend: 'sqlite' });
    expect(report.checks.peer_transport).toMatchObject({ status: 'up', transport: 'http' });
  });

  it('are not ready while the node shuts down', async () => {
    const report = await checkReadiness(sources({ lifecycle: () => 'draining' }));
    expect(report.ready).toBe(false);
    expect(report.checks.lifecycle).toMatchObject({ status: 'down', state: 'draining' });
  });

  it('are not ready when the event store does not answer', async () => {
    const report = await checkReadiness(sources({ events: log(10, true) }));
    expect(report.ready).toBe(false);
    expect(report.checks.event_store).toMatchObject({ status: 'down', error: 'store down' });
  });

  it('are not ready when the peer transport cannot deliver', async () => {
    const kafka = { name: 'kafka', healthy: () => false } as unknown as PeerTransport;
    const report = await checkReadiness(sources({ transport: () => kafka }));
    expect(report.ready).toBe(false);
    expect(report.checks.peer_transport).toMatchObject({ status: 'down', transport: 'kafka' });
  });

  it('check Redis only when the projections live there, and time out a Redis that hangs', async () => {
    const hanging = { generations: () => new Promise<never>(() => undefined) };
    const redis = (store: ReadinessSources['projections']['store']) => sources({ projections: { backend: 'redis', host: { projections: [projection('corridor_status', pos(10))] }, store } });
    expect((await checkReadiness(redis({ generations: async () => ({ active: 1, all: [1] }) }))).checks.redis).toMatchObject({ status: 'up' });
    const report = await checkReadiness(redis(hanging));
    expect(report.ready).toBe(false);
    expect(report.checks.redis).toMatchObject({ status: 'down', error: 'redis did not answer within 200 ms' });
    expect(report.checks.redis!.latency_ms).toBeGreaterThanOrEqual(150);
  });

  it('count projection lag against the bound: at the bound ready, beyond it not', async () => {
    const at = await checkReadiness(sources({}, [projection('corridor_status', pos(5)), projection('dispute_docket', pos(10))]));
    expect(at.ready).toBe(true);
    expect(at.checks.projections!.lag).toEqual({ corridor_status: 5, dispute_docket: 0 });

    const behind = await checkReadiness(sources({}, [projection('corridor_status', pos(4)), projection('dispute_docket', undefined)]));
    expect(behind.ready).toBe(false);
    expect(behind.checks.projections).toMatchObject({ status: 'down', lag: { corridor_status: 6, dispute_docket: 6 } });
    expect(behind.checks.projections!.error).toMatch(/corridor_status is more than 5 events behind/);
  });

  it('are not ready when a projection failed', async () => {
    const report = await checkReadiness(sources({}, [projection('corridor_status', pos(10), 'failed')]));
    expect(report.ready).toBe(false);
    expect(report.checks.projections!.error).toBe('corridor_status failed: gap in stream x');
  });
});

describe('eventsAfter', () => {
  it('counts exactly up to the limit across pages, and stops counting past it', async () => {
    const events = log(2500);
    expect(await eventsAfter(events, undefined, undefined, 10_000)).toBe(2500);
    expect(await eventsAfter(events, pos(1), undefined, 10_000)).toBe(2499);
    expect(await eventsAfter(events, pos(1000), undefined, 10_000)).toBe(1500);
    expect(await eventsAfter(events, pos(2500), undefined, 10_000)).toBe(0);
    expect(await eventsAfter(events, pos(100), undefined, 1200)).toBe(1201);
    expect(await eventsAfter(events, undefined, { on: 'stream', prefixes: ['corridor-c0'] }, 10_000)).toBe(834);
  });
});
