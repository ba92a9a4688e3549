import { comparePositions, type AllFilter, type EventStore, type GlobalPosition } from '@corridor/ledger';
import { defaultProjections, type ProjectionStore, type RunningProjection } from '@corridor/compliance';
import type { PeerTransport } from '@corridor/peering';
import type { LifecycleState } from './command-gate';

/** How long one check may take before it counts as down (kubelet's probe timeout should be longer). */
export const CHECK_TIMEOUT_MS = 2000;
/** Events read per page while counting a projection's lag. */
const LAG_PAGE = 1000;

/** One check's result: `up` or `down`, with what it saw (integers and strings only: answers are canonical JSON). */
export interface CheckResult {
  status: 'up' | 'down';
  [detail: string]: string | number | Record<string, number> | string[];
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/** What the readiness checks look at; the node passes its live components, tests pass fakes. */
export interface ReadinessSources {
  lifecycle(): LifecycleState;
  events: EventStore;
  eventStoreBackend: string;
  /** The peer transport, when the node has one. */
  transport(): PeerTransport | undefined;
  projections: {
    readonly backend: 'sqlite' | 'redis';
    readonly host: { readonly projections: readonly RunningProjection[] };
    readonly store: Pick<ProjectionStore, 'generations'>;
  };
  /** Readiness fails while a projection is more than this many events behind the log's head. */
  maxProjectionLag: number;
  checkTimeoutMs?: number;
}

/**
 * The readiness checks (spec/operations.md §1), run concurrently, each bounded by a timeout:
 * - `lifecycle`: the node is serving (not shutting down);
 * - `event_store`: the event store answers a read;
 * - `peer_transport`: the transport says it can deliver (`healthy()`; Kafka: in its group, heard from the
 *   coordinator recently, publishes not failing);
 * - `redis`: when the projections live in Redis, Redis answers a read;
 * - `projections`: every projection runs and is at most `maxProjectionLag` events behind the head of the log.
 */
export async function checkReadiness(sources: ReadinessSources): Promise<ReadinessReport> {
  const timeout = sources.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
  const checks: Record<string, CheckResult> = {};
  const run = async (name: string, check: () => Promise<CheckResult> | CheckResult) => {
    const started = Date.now();
    try {
      checks[name] = await within(Promise.resolve().then(check), timeout, name);
    } catch (e) {
      checks[name] = { status: 'down', error: (e as Error).message ?? String(e) };
    }
    if (checks[name]!.latency_ms === undefined) checks[name]!.latency_ms = Date.now() - started;
  };

  await Promise.all([
    run('lifecycle', (): CheckResult => {
      const state = sources.lifecycle();
      return state === 'serving' ? { status: 'up', state } : { status: 'down', state, error: 'the node is shutting down' };
    }),
    run('event_store', async (): Promise<CheckResult> => {
      await sources.events.readLast('$health-probe');
      return { status: 'up', backend: sources.eventStoreBackend };
    }),
    run('peer_transport', (): CheckResult => {
      const t = sources.transport();
      if (!t) return { status: 'up', transport: 'none' };
      return t.healthy() ? { status: 'up', transport: t.name } : { status: 'down', transport: t.name, error: `the ${t.name} peer transport cannot deliver at the moment` };
    }),
    ...(sources.projections.backend === 'redis'
      ? [
          run('redis', async (): Promise<CheckResult> => {
            const any = sources.projections.host.projections[0]?.name ?? 'corridor_status';
            await sources.projections.store.generations(any);
            return { status: 'up' };
          }),
        ]
      : []),
    run('projections', () => projectionsCheck(sources)),
  ]);
  const ordered: Record<string, CheckResult> = {};
  for (const k of Object.keys(checks).sort()) ordered[k] = checks[k]!;
  return { ready: Object.values(ordered).every((c) => c.status === 'up'), checks: ordered };
}

/** Every projection running, and no further behind the head of the log than the bound. */
async function projectionsCheck(sources: ReadinessSources): Promise<CheckResult> {
  const bound = sources.maxProjectionLag;
  const running = sources.projections.host.projections;
  const prefixes = streamPrefixesByProjection();
  const lag: Record<string, number> = {};
  const problems: string[] = [];
  // Projections at the same position with the same filter share one count.
  const counted = new Map<string, Promise<number>>();
  for (const p of running) {
    if (p.state === 'failed') {
      problems.push(`${p.name} failed: ${describe(p.error)}`);
      continue;
    }
    const filter: AllFilter | undefined = prefixes.get(p.name) ? { on: 'stream', prefixes: prefixes.get(p.name)! } : undefined;
    const key = `${p.position ? `${p.position.commit}/${p.position.prepare}` : '-'}|${filter ? filter.prefixes.join(',') : '*'}`;
    if (!counted.has(key)) counted.set(key, eventsAfter(sources.events, p.position, filter, bound));
    const n = await counted.get(key)!;
    lag[p.name] = n;
    if (n > bound) problems.push(`${p.name} is more than ${bound} events behind the log`);
  }
  const result: CheckResult = { status: problems.length === 0 ? 'up' : 'down', max_lag: bound, lag };
  if (problems.length > 0) result.error = problems.join('; ');
  return result;
}

/**
 * Events of the global log strictly after `position` (all of them when undefined) that the filter keeps, counted
 * page by page and no further than `limit + 1`: the answer is exact up to `limit`, and `limit + 1` means "more".
 */
export async function eventsAfter(events: EventStore, position: GlobalPosition | undefined, filter: AllFilter | undefined, limit: number): Promise<number> {
  let count = 0;
  let after = position;
  for (;;) {
    const page = await events.readAll({ ...(after ? { fromPosition: after } : {}), maxCount: LAG_PAGE, ...(filter ? { filter } : {}) });
    const fresh = after ? page.filter((e) => comparePositions(e.position, after!) > 0) : page;
    count += fresh.length;
    if (count > limit) return limit + 1;
    if (page.length < LAG_PAGE || fresh.length === 0) return count;
    after = fresh[fresh.length - 1]!.position;
  }
}

let prefixCache: Map<string, readonly string[] | undefined> | undefined;
/** Which streams each projection folds (undefined: every stream), from the projection definitions. */
function streamPrefixesByProjection(): Map<string, readonly string[] | undefined> {
  prefixCache ??= new Map(defaultProjections().map((d) => [d.name, d.streamPrefixes]));
  return prefixCache;
}

function describe(e: unknown): string {
  if (e === undefined || e === null) return 'unknown error';
  return e instanceof Error ? e.message : String(e);
}

function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
