import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Deferred, PositionWaiters, type RebuildOptions, type RebuildResult, type RunningProjection } from '@corridor/compliance';
import type { GlobalPosition } from '@corridor/ledger';
import type { ProjectionReport, ProjectionRequest, ProjectionSnapshot, ProjectionWorkerData } from './projection-worker';

/** What the node asks of the projections that run it (ProjectionHost of @corridor/compliance, or its thread). */
export interface ProjectionHostView {
  readonly names: string[];
  readonly projections: RunningProjection[];
  projection(name: string): RunningProjection;
  caughtUp(): Promise<void>;
  waitFor(position: GlobalPosition): Promise<void>;
  rebuild(names?: readonly string[], options?: RebuildOptions): Promise<RebuildResult[]>;
  stop(): Promise<void>;
}

/** The development loader of the repository (TypeScript sources on load), for a thread started from the sources. */
const TS_REGISTER = resolve(__dirname, '..', '..', '..', '..', 'libs', 'ledger', 'worker', 'ts-register.js');

const LOADER = `
const { workerData } = require('node:worker_threads');
require(workerData.modulePath).runProjectionWorker().catch((e) => {
  process.stderr.write('projection thread: ' + ((e && e.stack) || e) + '\\n');
  process.exit(1);
});
`;

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

function errorFrom(e: { name: string; message: string; stack?: string }): Error {
  const error = new Error(e.message);
  error.name = e.name;
  if (e.stack) error.stack = e.stack;
  return error;
}

/** One projection running on the projection thread, as its last report described it. */
class MirroredProjection implements RunningProjection {
  readonly name: string;
  readonly generation: number;
  state: RunningProjection['state'] = 'starting';
  position: GlobalPosition | undefined;
  events = 0;
  meta: Readonly<Record<string, string>> = {};
  error: unknown;
  private readonly caughtUpLatch = new Deferred();
  private readonly doneLatch = new Deferred();
  private readonly waiters = new PositionWaiters(this);

  constructor(
    snapshot: ProjectionSnapshot,
    private readonly thread: ProjectionThread,
  ) {
    this.name = snapshot.name;
    this.generation = snapshot.generation;
    this.update(snapshot);
  }

  get caughtUp(): Promise<void> {
    return this.caughtUpLatch.promise;
  }

  get done(): Promise<void> {
    return this.doneLatch.promise;
  }

  update(s: ProjectionSnapshot): void {
    this.state = s.state;
    this.position = s.position;
    this.events = s.events;
    this.meta = s.meta;
    this.error = s.error ? errorFrom(s.error) : undefined;
    if (s.state === 'failed') {
      this.caughtUpLatch.reject(this.error);
      this.doneLatch.reject(this.error);
    } else if (s.state === 'stopped') {
      this.caughtUpLatch.reject(new Error(`projection ${this.name} stopped before catching up`));
      this.doneLatch.resolve();
    }
    this.waiters.settle();
  }

  /** The thread failed or ended without a last report. */
  lost(e: Error): void {
    if (this.state === 'stopped' || this.state === 'failed') return;
    this.update({ name: this.name, generation: this.generation, state: 'failed', position: this.position, events: this.events, meta: this.meta, error: { name: e.name, message: e.message } });
  }

  markCaughtUp(): void {
    this.caughtUpLatch.resolve();
  }

  waitFor(target: GlobalPosition): Promise<void> {
    return this.waiters.add(target);
  }

  stop(): Promise<void> {
    return this.thread.request({ op: 'stop-one', name: this.name, generation: this.generation }).then(() => undefined);
  }
}

/**
 * The projections on a thread of their own (projection-worker.ts): the node's event loop only answers requests, while
 * the thread tails the ledger file and folds. Here, the main thread's view of them — every projection's state,
 * position and failure as last reported (for readiness, lag, status answers), catch-up and `waitFor` — and the
 * rebuild and stop requests, answered by the thread.
 */
export class ProjectionThread implements ProjectionHostView {
  private readonly worker: Worker;
  private live: MirroredProjection[] = [];
  private readonly byKey = new Map<string, MirroredProjection>();
  private allNames: string[] = [];
  private initialCatchUp = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private failure: Error | undefined;
  private exited = false;
  private readonly started: Promise<void>;

  private constructor(data: ProjectionWorkerData) {
    const modulePath = require.resolve('./projection-worker');
    const execArgv = modulePath.endsWith('.ts') ? ['-r', TS_REGISTER] : [];
    this.worker = new Worker(LOADER, { eval: true, workerData: { ...data, modulePath }, execArgv });
    this.worker.unref();
    let startedResolve!: () => void;
    let startedReject!: (e: unknown) => void;
    this.started = new Promise<void>((res, rej) => {
      startedResolve = res;
      startedReject = rej;
    });
    this.started.catch(() => undefined);
    this.worker.on('message', (msg: ProjectionReport) => {
      switch (msg.type) {
        case 'started':
          this.allNames = [...msg.names];
          this.apply(msg.projections);
          startedResolve();
          return;
        case 'start-failed':
          startedReject(errorFrom(msg.error));
          return;
        case 'state':
          this.apply(msg.projections);
          if (msg.caughtUp) {
            this.initialCatchUp = true;
            for (const p of this.live) p.markCaughtUp();
          }
          return;
        case 'reply': {
          const p = this.pending.get(msg.id);
          this.pending.delete(msg.id);
          if (!p) return;
          if (msg.error) p.reject(errorFrom(msg.error));
          else p.resolve(msg.result);
          return;
        }
      }
    });
    const lost = (e: Error) => {
      this.failure ??= e;
      startedReject(e);
      for (const p of this.byKey.values()) p.lost(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', (e) => lost(e instanceof Error ? e : new Error(String(e))));
    this.worker.on('exit', (code) => {
      this.exited = true;
      lost(new Error(`the projection thread exited (code ${code})`));
    });
  }

  /** Starts the thread; resolves once every projection runs on it (not yet caught up: see caughtUp()). */
  static async start(data: ProjectionWorkerData): Promise<ProjectionThread> {
    const thread = new ProjectionThread(data);
    try {
      await thread.started;
    } catch (e) {
      await thread.worker.terminate().catch(() => undefined);
      throw e;
    }
    return thread;
  }

  private apply(snapshots: readonly ProjectionSnapshot[]): void {
    const live: MirroredProjection[] = [];
    for (const s of snapshots) {
      const key = `${s.name}@${s.generation}`;
      let p = this.byKey.get(key);
      if (p) p.update(s);
      else {
        p = new MirroredProjection(s, this);
        this.byKey.set(key, p);
        // Projections that appear later are rebuilt ones, swapped in only once caught up.
        if (this.initialCatchUp) p.markCaughtUp();
      }
      live.push(p);
    }
    // Replaced generations got their last state in this report (stopped), and are no longer serving.
    for (const [key, p] of this.byKey) if (!live.includes(p) && (p.state === 'stopped' || p.state === 'failed')) this.byKey.delete(key);
    this.live = live;
  }

  request(message: WithoutId<ProjectionRequest>): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  get names(): string[] {
    return [...this.allNames];
  }

  get projections(): RunningProjection[] {
    return [...this.live];
  }

  projection(name: string): RunningProjection {
    const p = this.live.find((x) => x.name === name);
    if (!p) throw new Error(`projection ${name} is not running in this host`);
    return p;
  }

  async caughtUp(): Promise<void> {
    await Promise.all(this.live.map((p) => p.caughtUp));
  }

  async waitFor(position: GlobalPosition): Promise<void> {
    await Promise.all(this.live.map((p) => p.waitFor(position)));
  }

  async rebuild(names: readonly string[] = this.allNames, options: RebuildOptions = {}): Promise<RebuildResult[]> {
    return (await this.request({ op: 'rebuild', names: [...names], options })) as RebuildResult[];
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    await this.request({ op: 'stop' });
  }

  /** Stops the projections (committing what they folded), closes the thread's stores and ends the thread. */
  async close(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    try {
      await this.request({ op: 'close' });
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    } finally {
      if (!this.exited) await this.worker.terminate().catch(() => undefined);
    }
  }
}
