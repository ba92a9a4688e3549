import { comparePositions, formatPosition, type AllFilter, type EventStore, type GlobalPosition, type StoredEvent } from '@corridor/ledger';
import { Deferred, PositionWaiters } from './position-waiters';
import type { ProjectionStore } from '../store/port';
import type { ProjectionDefinition, ProjectionHandler } from './definition';
import { decodeStoredEvent, type LedgerRecord } from './ledger-record';
import { DocCache, UnitOfWork } from './unit-of-work';

/** A stream's next sequence is not the one after the last folded: a missing or out-of-order MMR leaf. */
export class ProjectionGapError extends Error {
  constructor(
    readonly projection: string,
    readonly stream: string,
    /** The sequence that had to come next (0 for a stream never seen). */
    readonly expected: number,
    readonly actual: number,
    readonly position: GlobalPosition,
  ) {
    super(
      `${projection}: stream ${stream} delivered sequence ${actual} at position ${formatPosition(position)}, but the next sequence is ${expected}` +
        (actual < expected ? ' (already folded: a replayed or reordered receipt)' : ` (sequences ${expected}..${actual - 1} are missing)`),
    );
    this.name = 'ProjectionGapError';
  }
}

export interface BatchOptions {
  /** Commit after this many events (default 5000). */
  readonly maxBatchEvents?: number;
  /** Commit at least this often while events keep coming (default 250 ms). */
  readonly maxBatchMs?: number;
  /** Committed documents kept in memory per projection (default 200,000). */
  readonly cacheSize?: number;
}

export interface ProjectionTarget {
  readonly definition: ProjectionDefinition;
  readonly generation: number;
}

export type ProjectionRunState = 'starting' | 'running' | 'stopped' | 'failed';

export interface CommitInfo {
  readonly projection: string;
  readonly generation: number;
  readonly position: GlobalPosition;
  readonly events: number;
  readonly batchEvents: number;
  readonly meta: Readonly<Record<string, string>>;
}

/** One projection running on one generation. */
export interface RunningProjection {
  readonly name: string;
  readonly generation: number;
  readonly state: ProjectionRunState;
  /** Position of the last committed event. */
  readonly position: GlobalPosition | undefined;
  /** Events committed into this generation. */
  readonly events: number;
  /** Metadata of the last commit. */
  readonly meta: Readonly<Record<string, string>>;
  /** The error that stopped it, if it failed. */
  readonly error: unknown;
  /** Resolves once everything in the log when it started is committed. */
  readonly caughtUp: Promise<void>;
  /** Settles when it ends: resolves after stop(), rejects with the error that stopped it. */
  readonly done: Promise<void>;
  /** Resolves when an event at or after `position` is committed; rejects if the projection ends first. */
  waitFor(position: GlobalPosition): Promise<void>;
  /** Commits what it has folded and stops. */
  stop(): Promise<void>;
}

/** The per-projection state of a group. */
class Target implements RunningProjection {
  readonly name: string;
  state: ProjectionRunState = 'starting';
  position: GlobalPosition | undefined;
  events = 0;
  meta: Readonly<Record<string, string>> = {};
  error: unknown;
  handler!: ProjectionHandler;
  cache: DocCache;
  uow!: UnitOfWork;
  /** Stream heads: committed (cache of the store) and of the batch being folded. */
  readonly committedHeads = new Map<string, number>();
  /** Started on a generation with no checkpoint: every committed head is in `committedHeads`. */
  emptyAtStart = false;
  pendingHeads = new Map<string, number>();
  pendingPosition: GlobalPosition | undefined;
  pendingEvents = 0;
  /**
   * The batch whose commit is in flight while the next one folds (stores that copy a batch on commit). Its
   * documents are read through the next batch's unit of work, its stream heads and position here.
   */
  inflight: { readonly promise: Promise<void>; readonly heads: ReadonlyMap<string, number>; readonly position: GlobalPosition } | undefined;
  readonly caughtUpLatch = new Deferred();
  readonly doneLatch = new Deferred();
  private readonly waiters = new PositionWaiters(this);
  stopRequested = false;

  constructor(
    readonly definition: ProjectionDefinition,
    readonly generation: number,
    private readonly group: ProjectionGroup,
    cacheSize: number,
  ) {
    this.name = definition.name;
    this.cache = new DocCache(cacheSize);
  }

  get caughtUp(): Promise<void> {
    return this.caughtUpLatch.promise;
  }

  get done(): Promise<void> {
    return this.doneLatch.promise;
  }

  get active(): boolean {
    return this.state === 'running' && !this.stopRequested && this.failing === undefined;
  }

  /** The error that stops the projection once its in-flight commit has settled. */
  private failing: { error: unknown } | undefined;

  /** Failed or failing: nothing more of it is folded or committed. */
  get broken(): boolean {
    return this.state === 'failed' || this.failing !== undefined;
  }

  folds(stream: string): boolean {
    const p = this.definition.streamPrefixes;
    return p === undefined || p.some((x) => stream.startsWith(x));
  }

  waitFor(target: GlobalPosition): Promise<void> {
    return this.waiters.add(target);
  }

  settleWaiters(): void {
    this.waiters.settle();
  }

  fail(e: unknown): void {
    if (this.state === 'failed' || this.state === 'stopped' || this.failing !== undefined) return;
    if (this.inflight) {
      // The batches before the failure are committed (or fail) first: `done` rejects after that, so whoever
      // looks at the store then finds the checkpoint right before the failing batch.
      this.failing = { error: e };
      const failNow = () => this.failNow(e);
      this.inflight.promise.then(failNow, failNow);
      return;
    }
    this.failNow(e);
  }

  private failNow(e: unknown): void {
    if (this.state === 'failed' || this.state === 'stopped') return;
    this.state = 'failed';
    this.error = e;
    this.caughtUpLatch.reject(e);
    this.doneLatch.reject(e);
    this.settleWaiters();
  }

  finish(): void {
    if (this.state === 'failed' || this.state === 'stopped' || this.failing !== undefined) return;
    this.state = 'stopped';
    this.caughtUpLatch.reject(new Error(`projection ${this.name} stopped before catching up`));
    this.doneLatch.resolve();
    this.settleWaiters();
  }

  stop(): Promise<void> {
    return this.group.stopTarget(this);
  }
}

const IDLE = Symbol('idle');
const UNKNOWN = Symbol('unknown');

/**
 * Runs projections over ONE catch-up subscription of the global log: each event is decoded once and folded by
 * every projection it concerns. Each projection keeps its own checkpoint, commits its own batches (atomically
 * with that checkpoint) and fails alone.
 *
 * Gap-freeness: for every stream it folds, a projection knows the last sequence (MMR leaf index) it committed;
 * the next event of that stream must carry exactly the next sequence. Anything else is a `ProjectionGapError`:
 * the projection commits what it folded before that event and stops there (a restart meets the same event and
 * stops again until the log is repaired), it never skips.
 *
 * Redelivery: an event at or before a projection's checkpoint position was folded already and is passed over
 * (the subscription may redeliver after a reconnect); that is the only event ever passed over.
 */
export class ProjectionGroup {
  private readonly targets: Target[] = [];
  private readonly maxBatchEvents: number;
  private readonly maxBatchMs: number;
  private subscription: ReturnType<EventStore['subscribeToAll']> | undefined;
  private batchEvents = 0;
  private batchStarted = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private subscriptionCaughtUp = false;
  private idle = false;
  /** Set while the loop folds or commits; a stop waits for it, so it never commits a half-folded event. */
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly events: EventStore,
    private readonly store: ProjectionStore,
    targets: readonly ProjectionTarget[],
    options: BatchOptions = {},
    private readonly onCommit?: (info: CommitInfo) => void,
  ) {
    if (targets.length === 0) throw new TypeError('a projection group needs at least one projection');
    const names = new Set<string>();
    for (const t of targets) {
      if (names.has(t.definition.name)) throw new TypeError(`projection ${t.definition.name} is listed twice`);
      names.add(t.definition.name);
      this.targets.push(new Target(t.definition, t.generation, this, options.cacheSize ?? 200_000));
    }
    this.maxBatchEvents = options.maxBatchEvents ?? 5000;
    this.maxBatchMs = options.maxBatchMs ?? 250;
  }

  projection(name: string): RunningProjection {
    const t = this.targets.find((x) => x.name === name);
    if (!t) throw new Error(`no projection ${name} in this group`);
    return t;
  }

  get projections(): RunningProjection[] {
    return [...this.targets];
  }

  /** Opens every projection on its generation and starts the subscription; resolves once it is running. */
  async start(): Promise<void> {
    if (this.loop) throw new Error('a projection group starts once');
    let after: GlobalPosition | undefined;
    let fromStart = false;
    for (const t of this.targets) {
      try {
        const reader = this.store.reader(t.name, t.generation);
        const cp = await reader.checkpoint();
        t.position = cp.position;
        t.events = cp.events;
        t.emptyAtStart = cp.position === undefined;
        t.meta = cp.meta;
        t.handler = await t.definition.open(reader);
        t.uow = new UnitOfWork(reader, t.cache, t.definition.collections);
        t.state = 'running';
        if (cp.position === undefined) fromStart = true;
        else if (after === undefined || comparePositions(cp.position, after) < 0) after = cp.position;
      } catch (e) {
        t.fail(e);
      }
    }
    const live = this.targets.filter((t) => t.active);
    if (live.length === 0) {
      this.loop = Promise.resolve();
      return;
    }
    const prefixes = live.some((t) => t.definition.streamPrefixes === undefined) ? undefined : [...new Set(live.flatMap((t) => t.definition.streamPrefixes!))];
    const filter: AllFilter | undefined = prefixes ? { on: 'stream', prefixes } : undefined;
    this.subscription = this.events.subscribeToAll({ after: fromStart ? undefined : after, filter });
    void this.subscription.caughtUp.then(() => {
      this.subscriptionCaughtUp = true;
      this.maybeCaughtUp();
    });
    this.loop = this.run().catch((e) => {
      for (const t of this.targets) t.fail(e);
    });
  }

  private maybeCaughtUp(): void {
    if (!this.subscriptionCaughtUp || !this.idle) return;
    for (const t of this.targets) if (t.active && t.uow.size === 0 && t.pendingPosition === undefined && t.inflight === undefined) t.caughtUpLatch.resolve();
  }

  private async run(): Promise<void> {
    const it = this.subscription![Symbol.asyncIterator]();
    let next: Promise<IteratorResult<StoredEvent>> | undefined;
    try {
      for (;;) {
        if (this.stopped || !this.targets.some((t) => t.active)) break;
        next ??= it.next();
        let r = await raceIdle(next);
        if (r === IDLE) {
          await this.work(() => this.commitAll());
          this.idle = true;
          this.maybeCaughtUp();
          r = await next;
          this.idle = false;
        }
        next = undefined;
        if (r.done) break;
        if (this.stopped) break;
        const event = r.value;
        this.busy = true;
        try {
          await this.fold(event);
          // While events keep coming, a batch's commit may run while the next batch folds (pipelined stores).
          if (this.batchEvents >= this.maxBatchEvents || Date.now() - this.batchStarted >= this.maxBatchMs) await this.commitAll(false);
        } finally {
          this.release();
        }
      }
      await this.work(() => this.commitAll());
    } finally {
      await this.subscription!.stop();
      for (const t of this.targets) t.finish();
    }
  }

  private async fold(event: StoredEvent): Promise<void> {
    let record: LedgerRecord | undefined;
    let decodeError: unknown;
    if (this.batchEvents === 0) this.batchStarted = Date.now();
    this.batchEvents++;
    for (const t of this.targets) {
      if (!t.active || !t.folds(event.stream)) continue;
      const last = t.pendingPosition ?? t.inflight?.position ?? t.position;
      if (last !== undefined && comparePositions(event.position, last) <= 0) continue;
      try {
        if (record === undefined && decodeError === undefined) {
          try {
            record = decodeStoredEvent(event);
          } catch (e) {
            decodeError = e;
          }
        }
        if (decodeError !== undefined) throw decodeError;
        const known = this.knownHead(t, record!.stream);
        const head = known === UNKNOWN ? await this.storedHead(t, record!.stream) : known;
        const expected = head === undefined ? 0 : head + 1;
        if (record!.sequence !== expected) throw new ProjectionGapError(t.name, record!.stream, expected, record!.sequence, event.position);
      } catch (e) {
        // Detected before folding: commit what came before, so the checkpoint stops right before this event.
        await this.commitTarget(t).catch(() => undefined);
        t.fail(e);
        continue;
      }
      try {
        const folding = t.handler.fold(record!, t.uow);
        // Most projections ignore most events synchronously: await only real work.
        if (folding !== undefined) await folding;
      } catch (e) {
        // The fold may have changed the handler's memory half-way: nothing of this batch is committed.
        t.fail(e);
        continue;
      }
      t.pendingHeads.set(record!.stream, record!.sequence);
      t.pendingPosition = event.position;
      t.pendingEvents++;
    }
  }

  /** The stream's last sequence if known in memory (the batch's, else the committed one), else UNKNOWN. */
  private knownHead(t: Target, stream: string): number | undefined | typeof UNKNOWN {
    const pending = t.pendingHeads.get(stream);
    if (pending !== undefined) return pending;
    const inflight = t.inflight?.heads.get(stream);
    if (inflight !== undefined) return inflight;
    const committed = t.committedHeads.get(stream);
    if (committed !== undefined) return committed;
    // A projection that started on an empty generation has every stream head it committed in memory.
    return t.emptyAtStart ? undefined : UNKNOWN;
  }

  private async storedHead(t: Target, stream: string): Promise<number | undefined> {
    const stored = await this.store.reader(t.name, t.generation).streamSequence(stream);
    if (stored !== undefined) t.committedHeads.set(stream, stored);
    return stored;
  }

  /** Commits every projection's batch; `wait: false` lets pipelined commits complete in the background. */
  private async commitAll(wait = true): Promise<void> {
    this.batchEvents = 0;
    await Promise.all(
      this.targets.map((t) =>
        t.active
          ? this.commitTarget(t, wait).catch((e) => {
              t.fail(e);
            })
          : undefined,
      ),
    );
  }

  /**
   * Commits the projection's batch with its checkpoint. With a store that copies a batch on commit
   * (`copiesBatchOnCommit`), the next batch folds while the commit completes (`wait: false`): its unit of work
   * reads through this batch's writes, and at most one commit is in flight — the next commit waits for it, so
   * commits stay in order and each is fenced on the checkpoint of the one before.
   */
  private async commitTarget(t: Target, wait = true): Promise<void> {
    if (t.inflight) await t.inflight.promise;
    // A projection that failed (or is failing, its last good commit in flight) commits nothing more.
    if (t.pendingPosition === undefined || t.broken) return;
    if (t.handler.beforeCommit) {
      try {
        await t.handler.beforeCommit(t.uow);
      } catch (e) {
        // Like a fold that throws: nothing of this batch is committed.
        t.fail(e);
        throw e;
      }
    }
    const uow = t.uow;
    const writes = await uow.writes();
    const meta = t.handler.meta ? t.handler.meta() : {};
    const position = t.pendingPosition;
    const events = t.events + t.pendingEvents;
    const heads = t.pendingHeads;
    const batchEvents = t.pendingEvents;
    const committing = this.store.commit(t.name, t.generation, { expected: t.position, position, events, streams: heads, writes, meta });
    const committed = () => {
      uow.committedTo(t.cache);
      for (const [s, q] of heads) t.committedHeads.set(s, q);
      t.position = position;
      t.events = events;
      t.meta = { ...t.meta, ...meta };
      t.settleWaiters();
      this.onCommit?.({ projection: t.name, generation: t.generation, position, events, batchEvents, meta: t.meta });
    };
    const reader = this.store.reader(t.name, t.generation);
    if (!this.store.copiesBatchOnCommit) {
      await committing;
      t.uow = new UnitOfWork(reader, t.cache, t.definition.collections);
      t.pendingHeads = new Map();
      t.pendingPosition = undefined;
      t.pendingEvents = 0;
      committed();
      return;
    }
    // The store has taken what it needs from the batch: the next batch may fold (and change documents) now.
    t.uow = new UnitOfWork(reader, t.cache, t.definition.collections, uow);
    t.pendingHeads = new Map();
    t.pendingPosition = undefined;
    t.pendingEvents = 0;
    const promise = committing.then(
      () => {
        t.inflight = undefined;
        committed();
        if (t.uow.parent === uow) t.uow.detachParent();
      },
      (e: unknown) => {
        t.inflight = undefined;
        t.fail(e);
        throw e;
      },
    );
    promise.catch(() => undefined);
    t.inflight = { promise, heads, position };
    if (wait) await promise;
  }

  /** Stops one projection: commits what it folded; the group goes on with the others. */
  async stopTarget(t: Target): Promise<void> {
    if (t.state === 'stopped' || t.state === 'failed') return;
    // Wait for the event being folded (if any); from then on the loop passes this projection by.
    while (this.busy) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    if (t.state !== 'running' || t.stopRequested) return;
    t.stopRequested = true;
    try {
      await this.commitTarget(t);
      t.finish();
    } catch (e) {
      t.fail(e);
    }
    if (!this.targets.some((x) => x.active)) await this.stop();
  }

  private async work(fn: () => Promise<void>): Promise<void> {
    while (this.busy) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.busy = true;
    try {
      await fn();
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.busy = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Commits every projection's batch and ends the subscription. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.loop;
    for (const t of this.targets) t.finish();
  }
}

/** The iterator's next result, or IDLE when it is not ready within the current turn of the event loop. */
function raceIdle<T>(p: Promise<T>): Promise<T | typeof IDLE> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setImmediate(() => {
      if (!settled) {
        settled = true;
        resolve(IDLE);
      }
    });
    p.then(
      (v) => {
        if (settled) return;
        settled = true;
        clearImmediate(timer);
        resolve(v);
      },
      (e) => {
        if (settled) return;
        settled = true;
        clearImmediate(timer);
        reject(e);
      },
    );
  });
}
