import type { INestApplication } from '@nestjs/common';
import type { BatchObservableCallback, BatchObservableResult, Observable } from '@opentelemetry/api';
import { defaultProjections } from '@corridor/compliance';
import { comparePositions, EVENT_STORE, type AllFilter, type EventStore, type GlobalPosition } from '@corridor/ledger';
import { corridor as corridorDomain } from '@corridor/domain';
import { parseJsonText, type JsonObject } from '@corridor/protocol';
import { AggregateStore } from '../aggregates/aggregate-store';
import { ChainReader } from '../chains/chain-reader';
import { eventsAfter } from '../health/readiness';
import { lifecycleStream, stateChannelStream } from '../corridors/corridor-aggregate';
import { PEERING_STORE } from '../infrastructure/tokens';
import type { PeeringStore } from '../peering/peering.store';
import { PeeringService } from '../peering/peering.service';
import { ProjectionRuntime } from '../projections/projection-runtime';
import { A } from './attributes';
import type { SubscriptionRegistry } from './http-telemetry';
import { instruments } from './metrics';
import { sequencerHeard } from './peer-telemetry';

const QUORUM_REACHED = corridorDomain.CORRIDOR_EVENT_TYPES.watcherQuorumReached;
const READ_PAGE = 2000;
/** Projection lag is counted exactly up to this many events (one more means more). */
const PROJECTION_LAG_LIMIT = 10_000;

interface NodeParts {
  events: EventStore;
  chains: ChainReader;
  projections: ProjectionRuntime;
  peering: PeeringService;
  peeringStore: PeeringStore;
  aggregates: AggregateStore;
}

/**
 * The node's gauges, observed at each collection (nothing is computed between collections): projection lag,
 * receipt-stream subscription lag, peer lag and watcher quorum age. Returns the function that unregisters them.
 */
export function registerNodeGauges(app: INestApplication, selfDid: string, subscriptions: SubscriptionRegistry, log: (message: string) => void): () => void {
  const parts: NodeParts = {
    events: app.get<EventStore>(EVENT_STORE),
    chains: app.get(ChainReader),
    projections: app.get(ProjectionRuntime),
    peering: app.get(PeeringService),
    peeringStore: app.get<PeeringStore>(PEERING_STORE),
    aggregates: app.get(AggregateStore),
  };
  const quorums = new QuorumClock(parts.events);
  parts.aggregates.onAppended((outcome) => {
    if (outcome.aggregate === 'corridor') quorums.appended(outcome.id, outcome.receipts);
  });
  const m = instruments();
  const observables: Observable[] = [m.projectionLag, m.projectionStaleness, m.subscribers, m.subscriptionLag, m.cosignatureLag, m.sequencerLag, m.watcherQuorumAge];
  const callback: BatchObservableCallback = async (result) => {
    const part = async (name: string, work: () => Promise<void>) => {
      try {
        await work();
      } catch (e) {
        log(`metrics: ${name} not observed: ${(e as Error).message}`);
      }
    };
    await part('projection lag', () => observeProjectionLag(parts, result));
    await part('subscription lag', () => observeSubscriptions(parts, subscriptions, result));
    await part('peer lag', () => observePeerLag(parts, selfDid, result));
    await part('watcher quorum age', () => observeQuorumAge(parts, quorums, result));
  };
  m.meter.addBatchObservableCallback(callback, observables);
  return () => m.meter.removeBatchObservableCallback(callback, observables);
}

/**
 * Per projection: the events of the log it folds that it has not committed yet (as readiness counts them, exact up
 * to PROJECTION_LAG_LIMIT), and how old the oldest of them is (0 when it holds the whole log).
 */
async function observeProjectionLag(parts: NodeParts, result: BatchObservableResult): Promise<void> {
  const m = instruments();
  let running;
  try {
    running = parts.projections.host.projections;
  } catch {
    return; // not started (or stopped)
  }
  const now = Date.now();
  const filters = projectionFilters();
  // Projections at the same position with the same filter share one reading.
  const readings = new Map<string, Promise<{ events: number; oldest: number | undefined }>>();
  for (const p of running) {
    if (p.state === 'failed') continue;
    const filter = filters.get(p.name);
    const key = `${p.position ? `${p.position.commit}/${p.position.prepare}` : '-'}|${filter ? filter.prefixes.join(',') : '*'}`;
    let reading = readings.get(key);
    if (!reading) {
      reading = Promise.all([eventsAfter(parts.events, p.position, filter, PROJECTION_LAG_LIMIT), oldestAfter(parts.events, p.position, filter)]).then(([events, oldest]) => ({ events, oldest }));
      readings.set(key, reading);
    }
    const { events, oldest } = await reading;
    const attributes = { [A.projection]: p.name };
    result.observe(m.projectionLag, events, attributes);
    result.observe(m.projectionStaleness, oldest === undefined ? 0 : Math.max(0, (now - oldest) / 1000), attributes);
  }
}

let filterCache: Map<string, AllFilter | undefined> | undefined;
/** The stream filter of each projection (undefined: it folds every stream). */
function projectionFilters(): Map<string, AllFilter | undefined> {
  filterCache ??= new Map(defaultProjections().map((d) => [d.name, d.streamPrefixes ? { on: 'stream' as const, prefixes: d.streamPrefixes } : undefined]));
  return filterCache;
}

/** recordedAt (ms) of the first event of the log after `position` that the filter keeps, or undefined when none. */
async function oldestAfter(events: EventStore, position: GlobalPosition | undefined, filter: AllFilter | undefined): Promise<number | undefined> {
  const page = await events.readAll({ ...(position ? { fromPosition: position } : {}), maxCount: 2, ...(filter ? { filter } : {}) });
  const next = page.find((e) => position === undefined || comparePositions(e.position, position) > 0);
  return next?.recordedAt.getTime();
}

/** Per corridor with open receipt streams: their number, and how far behind the head the furthest one is. */
async function observeSubscriptions(parts: NodeParts, subscriptions: SubscriptionRegistry, result: BatchObservableResult): Promise<void> {
  const m = instruments();
  for (const [corridorId, subs] of subscriptions.byCorridor()) {
    const head = subs.length === 0 ? null : await parts.chains.head(stateChannelStream(corridorId));
    const headSeq = head ? head.revision : -1;
    const attributes = { [A.corridorId]: corridorId };
    result.observe(m.subscribers, subs.length, attributes);
    result.observe(m.subscriptionLag, Math.max(0, ...subs.map((s) => headSeq - s.sent)), attributes);
  }
}

/**
 * Per shared corridor: for every co-signer, the receipts held here it has not co-signed; on a co-signer, also the
 * receipts the sequencer is known to hold (verified receipts seen from it) that this node does not hold yet.
 */
async function observePeerLag(parts: NodeParts, selfDid: string, result: BatchObservableResult): Promise<void> {
  const m = instruments();
  for (const { corridor_id } of parts.peeringStore.corridors()) {
    const p = await parts.peering.peeringOf(corridor_id);
    if (!p) continue;
    const head = await parts.chains.head(p.stream);
    const headSeq = head ? head.revision : -1;
    for (const signer of p.signers) {
      if (signer === p.sequencer) continue;
      const lag = Math.max(0, headSeq - parts.peeringStore.cosignedUpToAny(p.stream, p.keysOf(signer)));
      result.observe(m.cosignatureLag, lag, { [A.corridorId]: corridor_id, [A.peerDid]: signer });
    }
    if (!p.isSequencer) {
      result.observe(m.sequencerLag, Math.max(0, sequencerHeard(selfDid, corridor_id) - headSeq), { [A.corridorId]: corridor_id, [A.peerDid]: p.sequencer });
    }
  }
}

/** Per corridor that reached a watcher quorum: seconds since the latest one was recorded. */
async function observeQuorumAge(parts: NodeParts, quorums: QuorumClock, result: BatchObservableResult): Promise<void> {
  const m = instruments();
  let ids: string[] = [];
  try {
    ids = await allCorridors(parts.projections);
  } catch {
    // projections not available: only corridors whose quorum was recorded since start are known
  }
  const now = Date.now();
  for (const id of new Set([...ids, ...quorums.known()])) {
    const at = await quorums.lastQuorumAt(id);
    if (at !== undefined) result.observe(m.watcherQuorumAge, Math.max(0, (now - at) / 1000), { [A.corridorId]: id });
  }
}

/** Every corridor the read side knows (the first collection after a start looks up each one's quorum once). */
async function allCorridors(projections: ProjectionRuntime): Promise<string[]> {
  const ids: string[] = [];
  for (let after: string | undefined, guard = 0; guard < 100; guard++) {
    const page = (await projections.queries.corridors({}, { after, limit: 1000 })).data;
    for (const c of page.items) ids.push(c.corridor_id);
    if (!page.next) break;
    after = page.next;
  }
  return ids;
}

/**
 * When each corridor's latest watcher quorum was recorded: the timestamp of its last `watcher-quorum-reached`
 * lifecycle receipt — seen as it is appended, or read once per process from the lifecycle chain (its last event, or
 * the whole chain when that is another kind; lifecycle chains are short).
 */
class QuorumClock {
  private readonly at = new Map<string, Promise<number | undefined>>();

  constructor(private readonly events: EventStore) {}

  known(): string[] {
    return [...this.at.keys()];
  }

  appended(corridorId: string, receipts: readonly { stream: string; receipt: JsonObject }[]): void {
    for (const { stream, receipt } of receipts) {
      const kind = (receipt.transition as JsonObject | undefined)?.kind;
      if (stream === lifecycleStream(corridorId) && kind === QUORUM_REACHED && typeof receipt.timestamp === 'string') {
        this.at.set(corridorId, Promise.resolve(Date.parse(receipt.timestamp)));
      }
    }
  }

  lastQuorumAt(corridorId: string): Promise<number | undefined> {
    let at = this.at.get(corridorId);
    if (!at) {
      at = this.scan(corridorId);
      this.at.set(corridorId, at);
      at.catch(() => this.at.delete(corridorId)); // try again at the next collection
    }
    return at;
  }

  private async scan(corridorId: string): Promise<number | undefined> {
    const stream = lifecycleStream(corridorId);
    const last = await this.events.readLast(stream);
    if (!last) return undefined;
    if (last.type === QUORUM_REACHED) return timestampOf(last.data, last.recordedAt);
    let found: number | undefined;
    for (let from = 0; ; ) {
      const page = await this.events.read(stream, { fromRevision: from, maxCount: READ_PAGE });
      for (const e of page) if (e.type === QUORUM_REACHED) found = timestampOf(e.data, e.recordedAt);
      if (page.length < READ_PAGE) return found;
      from = page[page.length - 1]!.revision + 1;
    }
  }
}

/** The receipt's own timestamp (when the quorum was decided), else when the store recorded it. */
function timestampOf(data: string, recordedAt: Date): number {
  const stamp = (parseJsonText(data) as JsonObject).timestamp;
  const t = typeof stamp === 'string' ? Date.parse(stamp) : NaN;
  return Number.isNaN(t) ? recordedAt.getTime() : t;
}
