import type { EventStore } from '@corridor/ledger';
import type { ProjectionStore } from '../store/port';
import { complianceTensorProjection } from './compliance-tensor.projection';
import { corridorStatusProjection } from './corridor-status.projection';
import type { ProjectionDefinition } from './definition';
import { disputeDocketProjection } from './dispute-docket.projection';
import { ProjectionHost, type ProjectionHostOptions } from './host';
import { migrationBoardProjection } from './migration-board.projection';
import { ProjectionQueries } from './queries';
import { watcherRegistryProjection } from './watcher-registry.projection';

/** The node's five projections. */
export function defaultProjections(): ProjectionDefinition[] {
  return [complianceTensorProjection(), corridorStatusProjection(), watcherRegistryProjection(), disputeDocketProjection(), migrationBoardProjection()];
}

/**
 * What the node wires at start: a host running the five projections over the event store into the projection
 * store (call `start()`, then `caughtUp()` before serving), and the queries reading that store.
 */
export function createProjections(options: { events: EventStore; store: ProjectionStore; batch?: ProjectionHostOptions['batch']; onCommit?: ProjectionHostOptions['onCommit'] }): {
  host: ProjectionHost;
  queries: ProjectionQueries;
} {
  return {
    host: new ProjectionHost({ events: options.events, store: options.store, projections: defaultProjections(), batch: options.batch, onCommit: options.onCommit }),
    queries: new ProjectionQueries(options.store),
  };
}
