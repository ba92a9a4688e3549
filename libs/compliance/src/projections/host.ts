import type { EventStore, GlobalPosition } from '@corridor/ledger';
import type { ProjectionStore } from '../store/port';
import type { ProjectionDefinition } from './definition';
import { ProjectionGroup, type BatchOptions, type CommitInfo, type RunningProjection } from './runner';

export interface ProjectionHostOptions {
  readonly events: EventStore;
  readonly store: ProjectionStore;
  readonly projections: readonly ProjectionDefinition[];
  readonly batch?: BatchOptions;
  readonly onCommit?: (info: CommitInfo) => void;
}

export interface RebuildResult {
  readonly projection: string;
  /** The generation that served before the swap (dropped unless `keepPrevious`). */
  readonly previous: number | undefined;
  /** The rebuilt generation, active and running after the swap. */
  readonly generation: number;
  /** Checkpoint of the rebuilt generation at the swap. */
  readonly position: GlobalPosition | undefined;
  readonly events: number;
  readonly meta: Readonly<Record<string, string>>;
  /** Checkpoint metadata of the previous generation when it stopped (e.g. to compare commitments). */
  readonly previousMeta: Readonly<Record<string, string>>;
  readonly previousPosition: GlobalPosition | undefined;
}

export interface RebuildOptions {
  /** Keep the previous generation's data after the swap (default: drop it). */
  readonly keepPrevious?: boolean;
  readonly batch?: BatchOptions;
}

/**
 * Runs the node's projections: each on its active generation (created empty on first start), all over one
 * subscription of the global log; rebuilds them side by side and swaps atomically.
 */
export class ProjectionHost {
  private readonly definitions = new Map<string, ProjectionDefinition>();
  private readonly groups = new Set<ProjectionGroup>();
  /** Which running projection serves each name. */
  private readonly live = new Map<string, RunningProjection>();
  private started = false;

  constructor(private readonly options: ProjectionHostOptions) {
    for (const d of options.projections) {
      if (this.definitions.has(d.name)) throw new TypeError(`projection ${d.name} is listed twice`);
      this.definitions.set(d.name, d);
    }
  }

  get names(): string[] {
    return [...this.definitions.keys()];
  }

  /**
   * Starts every projection on its active generation. Generations left behind by an interrupted rebuild (never
   * activated) are dropped first.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('the projection host is already started');
    this.started = true;
    const { store } = this.options;
    const targets = [];
    for (const d of this.definitions.values()) {
      let { active, all } = await store.generations(d.name);
      for (const g of all) if (g !== active) await store.dropGeneration(d.name, g);
      if (active === undefined) {
        const g = await store.createGeneration(d.name);
        await store.activate(d.name, g, undefined);
        active = g;
      }
      targets.push({ definition: d, generation: active });
    }
    const group = this.newGroup(targets, this.options.batch);
    await group.start();
    for (const p of group.projections) this.live.set(p.name, p);
  }

  private newGroup(targets: { definition: ProjectionDefinition; generation: number }[], batch: BatchOptions | undefined): ProjectionGroup {
    const group = new ProjectionGroup(this.options.events, this.options.store, targets, batch, this.options.onCommit);
    this.groups.add(group);
    return group;
  }

  /** The running projection serving `name`. */
  projection(name: string): RunningProjection {
    const p = this.live.get(name);
    if (!p) throw new Error(`projection ${name} is not running in this host`);
    return p;
  }

  get projections(): RunningProjection[] {
    return [...this.live.values()];
  }

  /** Resolves once every projection has committed the log as it was when it started (rejects if one failed). */
  async caughtUp(): Promise<void> {
    await Promise.all(this.projections.map((p) => p.caughtUp));
  }

  /** Resolves once every projection has committed the event at `position` (or later). */
  async waitFor(position: GlobalPosition): Promise<void> {
    await Promise.all(this.projections.map((p) => p.waitFor(position)));
  }

  /**
   * Rebuilds projections from the whole log into new (shadow) generations while the live ones keep serving,
   * then, one projection at a time: stops the live one (committing what it folded), lets the shadow reach at
   * least the same position, and activates the shadow generation (one atomic switch for readers). The
   * shadow keeps running as the live projection; the previous generation is dropped.
   *
   * If building a shadow fails, its generation is dropped and the live projection is left untouched.
   */
  async rebuild(names: readonly string[] = this.names, options: RebuildOptions = {}): Promise<RebuildResult[]> {
    if (!this.started) throw new Error('start the projection host before rebuilding');
    const { store } = this.options;
    const unique = [...new Set(names)];
    for (const n of unique) if (!this.definitions.has(n)) throw new Error(`unknown projection ${n}`);
    const shadows: { definition: ProjectionDefinition; generation: number }[] = [];
    for (const n of unique) shadows.push({ definition: this.definitions.get(n)!, generation: await store.createGeneration(n) });
    const group = this.newGroup(shadows, options.batch ?? this.options.batch);
    const dropShadows = async () => {
      await group.stop().catch(() => undefined);
      this.groups.delete(group);
      for (const s of shadows) await store.dropGeneration(s.definition.name, s.generation).catch(() => undefined);
    };
    try {
      await group.start();
      await Promise.all(group.projections.map((p) => p.caughtUp));
    } catch (e) {
      await dropShadows();
      throw e;
    }
    const results: RebuildResult[] = [];
    for (const s of shadows) {
      const name = s.definition.name;
      const shadow = group.projection(name);
      const old = this.live.get(name);
      const { active } = await store.generations(name);
      if (old && old.state === 'running') await old.stop();
      if (old?.position !== undefined) await shadow.waitFor(old.position);
      await store.activate(name, s.generation, active);
      this.live.set(name, shadow);
      if (active !== undefined && !options.keepPrevious) await store.dropGeneration(name, active);
      results.push({
        projection: name,
        previous: active,
        generation: s.generation,
        position: shadow.position,
        events: shadow.events,
        meta: shadow.meta,
        previousMeta: old?.meta ?? {},
        previousPosition: old?.position,
      });
    }
    await this.pruneGroups();
    return results;
  }

  /** Groups whose every projection has been replaced are stopped. */
  private async pruneGroups(): Promise<void> {
    const serving = new Set(this.live.values());
    for (const g of [...this.groups]) {
      if (g.projections.some((p) => serving.has(p))) continue;
      await g.stop();
      this.groups.delete(g);
    }
  }

  /** Stops every projection, committing what each has folded. */
  async stop(): Promise<void> {
    for (const g of this.groups) await g.stop();
    this.groups.clear();
  }
}
