import type { Doc, GenerationReader, ProjectionStore } from '../store/port';
import { asOfMillis, formatTimestamp, timestampMillis, type ReadTime } from '../tensor/time';
import { COMPLIANCE_TENSOR } from './compliance-tensor.projection';
import { CORRIDOR_STATUS, headFinality, quorumSize, type CorridorStatusDoc, type FinalityLevel } from './corridor-status.projection';
import { sumAmounts } from './decimal';
import { DISPUTE_DOCKET, type DisputeDoc } from './dispute-docket.projection';
import { MIGRATION_BOARD, type MigrationDoc } from './migration-board.projection';
import { readSnapshot, type ReadStamp } from './read-side';
import { TensorQueries, type TensorStamp } from './tensor-queries';
import { WATCHER_REGISTRY, type WatcherDoc } from './watcher-registry.projection';

/** A query answer: the data, where it was read (projection, generation, checkpoint), and the tensor commitment where relevant. */
export interface QueryResult<T> {
  readonly data: T;
  readonly read: ReadStamp;
  readonly tensor?: TensorStamp;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

export interface PageRequest {
  readonly after?: string;
  readonly limit?: number;
}

export interface CorridorStatusView extends CorridorStatusDoc {
  finality: FinalityLevel;
  /** Watchers with an ACTIVE bond for this corridor, and how many attestations make a quorum. */
  watchers: { bonded: number; quorum: number | null };
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

async function page<T>(reader: GenerationReader, collection: string, field: string, value: string, request: PageRequest): Promise<Page<T>> {
  const limit = Math.min(request.limit ?? DEFAULT_PAGE, MAX_PAGE);
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError(`limit must be a positive integer, got ${request.limit}`);
  const keys = await reader.keysBy(collection, field, value, { after: request.after, limit: limit + 1 });
  const more = keys.length > limit;
  const chunk = more ? keys.slice(0, limit) : keys;
  const docs = await reader.getMany(collection, chunk);
  return { items: docs.filter((d): d is Doc => d !== undefined) as unknown as T[], next: more ? chunk[chunk.length - 1]! : null };
}

/**
 * The read side the node's HTTP API and console call: every projection's queries over one projection store.
 * Answers are consistent snapshots of the active generation (see `readSnapshot`).
 */
export class ProjectionQueries {
  readonly tensor: TensorQueries;

  constructor(private readonly store: ProjectionStore) {
    this.tensor = new TensorQueries(store, COMPLIANCE_TENSOR);
  }

  private async tensorStamp(): Promise<TensorStamp | undefined> {
    try {
      return await this.tensor.commitment();
    } catch {
      return undefined;
    }
  }

  private async read<T>(projection: string, fn: (r: GenerationReader) => Promise<T>, withTensor = false): Promise<QueryResult<T>> {
    const [s, tensor] = await Promise.all([readSnapshot(this.store, projection, fn), withTensor ? this.tensorStamp() : Promise.resolve(undefined)]);
    return tensor ? { data: s.value, read: s.stamp, tensor } : { data: s.value, read: s.stamp };
  }

  /** A corridor's status with its head finality, or null; with the tensor commitment. */
  async corridor(corridorId: string): Promise<QueryResult<CorridorStatusView | null>> {
    return this.read(
      CORRIDOR_STATUS,
      async (r) => {
        const doc = (await r.get('corridors', corridorId)) as CorridorStatusDoc | undefined;
        if (!doc) return null;
        const bonded = await r.countBy('bonds', 'active_for', corridorId);
        const q = quorumSize(bonded);
        return { ...doc, finality: headFinality(doc), watchers: { bonded, quorum: Number.isFinite(q) ? q : null } };
      },
      true,
    );
  }

  /** Corridors by id, optionally only those in a lifecycle state. */
  async corridors(filter: { state?: string } = {}, request: PageRequest = {}): Promise<QueryResult<Page<CorridorStatusDoc>>> {
    return this.read(CORRIDOR_STATUS, (r) => (filter.state ? page(r, 'corridors', 'state', filter.state, request) : page(r, 'corridors', 'all', '*', request)), true);
  }

  async watcher(watcherId: string): Promise<QueryResult<WatcherDoc | null>> {
    return this.read(WATCHER_REGISTRY, async (r) => ((await r.get('watchers', watcherId)) as WatcherDoc | undefined) ?? null);
  }

  /** Watchers by id; filter by bond status or by a corridor their bond covers. */
  async watchers(filter: { status?: string; corridor?: string } = {}, request: PageRequest = {}): Promise<QueryResult<Page<WatcherDoc>>> {
    return this.read(WATCHER_REGISTRY, (r) =>
      filter.status ? page(r, 'watchers', 'status', filter.status, request) : filter.corridor ? page(r, 'watchers', 'corridor', filter.corridor, request) : page(r, 'watchers', 'all', '*', request),
    );
  }

  /** Stake at risk for a corridor: the remaining collateral of ACTIVE bonds covering it, per currency. */
  async stake(corridorId: string): Promise<QueryResult<{ corridor_id: string; active_watchers: number; by_currency: Record<string, string> }>> {
    return this.read(WATCHER_REGISTRY, async (r) => {
      const keys = await r.keysBy('watchers', 'corridor', corridorId);
      const docs = (await r.getMany('watchers', keys)).filter((d): d is Doc => d !== undefined) as unknown as WatcherDoc[];
      const active = docs.filter((w) => w.status === 'ACTIVE');
      const by: Record<string, string[]> = {};
      for (const w of active) (by[w.currency ?? ''] ??= []).push(w.remaining);
      return { corridor_id: corridorId, active_watchers: active.length, by_currency: Object.fromEntries(Object.entries(by).map(([c, a]) => [c, sumAmounts(a)])) };
    });
  }

  async dispute(disputeId: string): Promise<QueryResult<DisputeDoc | null>> {
    return this.read(DISPUTE_DOCKET, async (r) => ((await r.get('disputes', disputeId)) as DisputeDoc | undefined) ?? null, true);
  }

  /** The docket: disputes by id, filtered by status, open ones, corridor or party (one filter at a time). */
  async disputes(filter: { status?: string; open?: boolean; corridor?: string; party?: string } = {}, request: PageRequest = {}): Promise<QueryResult<Page<DisputeDoc>>> {
    const [field, value] = filter.status
      ? ['status', filter.status]
      : filter.open
        ? ['open', 'open']
        : filter.corridor
          ? ['corridor', filter.corridor]
          : filter.party
            ? ['party', filter.party]
            : ['all', '*'];
    return this.read(DISPUTE_DOCKET, (r) => page(r, 'disputes', field, value, request));
  }

  async migration(migrationId: string): Promise<QueryResult<MigrationDoc | null>> {
    return this.read(MIGRATION_BOARD, async (r) => ((await r.get('migrations', migrationId)) as MigrationDoc | undefined) ?? null, true);
  }

  /** Migrations by id, filtered to open ones, a corridor, an asset or a phase. */
  async migrations(filter: { open?: boolean; corridor?: string; asset?: string; phase?: string } = {}, request: PageRequest = {}): Promise<QueryResult<Page<MigrationDoc>>> {
    const [field, value] = filter.open
      ? ['open', 'open']
      : filter.corridor
        ? ['corridor', filter.corridor]
        : filter.asset
          ? ['asset', filter.asset]
          : filter.phase
            ? ['phase', filter.phase]
            : ['all', '*'];
    return this.read(MIGRATION_BOARD, (r) => page(r, 'migrations', field, value, request), true);
  }

  /**
   * Open migrations by deadline, earliest first; `overdue` marks those whose deadline is at or before `at` (the
   * scheduler should have expired them).
   */
  async openMigrationsByDeadline(at: ReadTime, request: PageRequest = {}): Promise<QueryResult<Page<MigrationDoc & { overdue: boolean }>> & { as_of: string }> {
    const atMs = asOfMillis(at);
    const result = await this.read(
      MIGRATION_BOARD,
      async (r) => {
        const keys = await page<string>(r, 'open_deadlines', 'all', '*', request);
        const docs = (await r.getMany('migrations', keys.items)).filter((d): d is Doc => d !== undefined) as unknown as MigrationDoc[];
        return {
          items: docs.map((m) => ({ ...m, overdue: m.deadline !== null && timestampMillis(m.deadline)! <= atMs })),
          next: keys.next,
        };
      },
      true,
    );
    return { ...result, as_of: formatTimestamp(atMs) };
  }
}
