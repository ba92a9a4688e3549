import { CORRIDOR_EVENT_TYPES } from './corridor/events';
import { DISPUTE_EVENT_TYPES } from './dispute/events';
import { MIGRATION_SAGA_EVENT_TYPES } from './migration-saga/events';
import { WATCHER_BOND_EVENT_TYPES } from './watcher-bond/events';

/**
 * The one registry of domain events: every event type, by its stable name, with the aggregate it belongs to.
 * Names are `<aggregate>.<what-happened>.v<n>`; they are hashed into receipts, so a name is never reused or
 * changed — a new shape gets a new version.
 */
export const DOMAIN_EVENTS = {
  corridor: CORRIDOR_EVENT_TYPES,
  'migration-saga': MIGRATION_SAGA_EVENT_TYPES,
  'watcher-bond': WATCHER_BOND_EVENT_TYPES,
  dispute: DISPUTE_EVENT_TYPES,
} as const;

export type AggregateName = keyof typeof DOMAIN_EVENTS;
export const AGGREGATES = Object.keys(DOMAIN_EVENTS) as AggregateName[];

export const EVENT_NAME_SYNTAX = /^([a-z]+(?:-[a-z]+)*)\.[a-z]+(?:-[a-z]+)*\.v[1-9][0-9]*$/;

function buildRegistry(): ReadonlyMap<string, AggregateName> {
  const registry = new Map<string, AggregateName>();
  for (const aggregate of AGGREGATES) {
    for (const type of Object.values(DOMAIN_EVENTS[aggregate]) as string[]) {
      const m = EVENT_NAME_SYNTAX.exec(type);
      if (!m || m[1] !== aggregate) throw new Error(`event type ${type} must be named ${aggregate}.<what-happened>.v<n>`);
      if (registry.has(type)) throw new Error(`event type ${type} is registered twice`);
      registry.set(type, aggregate);
    }
  }
  return registry;
}

/** Event type → aggregate. */
export const EVENT_REGISTRY: ReadonlyMap<string, AggregateName> = buildRegistry();

export function aggregateOfEvent(type: string): AggregateName | undefined {
  return EVENT_REGISTRY.get(type);
}
