import { parentPort, workerData } from 'node:worker_threads';
import { createProjections, RedisProjectionStore, SqliteProjectionStore, type ProjectionHost, type ProjectionStore, type RebuildOptions, type RunningProjection } from '@corridor/compliance';
import { SqliteEventStore } from '@corridor/ledger';

/** What the projection thread is started with (ProjectionThread, projection-thread.ts). */
export interface ProjectionWorkerData {
  /** The ledger's SQLite file, tailed read-only. */
  readonly eventStoreFile: string;
  /** How often the tail looks for events the node committed meanwhile (ms). */
  readonly pollIntervalMs: number;
  readonly store: { readonly backend: 'sqlite'; readonly path: string } | { readonly backend: 'redis'; readonly url: string; readonly prefix?: string };
}

/** One projection's state as the node's main thread mirrors it. */
export interface ProjectionSnapshot {
  readonly name: string;
  readonly generation: number;
  readonly state: RunningProjection['state'];
  readonly position: RunningProjection['position'];
  readonly events: number;
  readonly meta: Readonly<Record<string, string>>;
  readonly error: { readonly name: string; readonly message: string } | null;
}

/** Main thread → projection thread. */
export type ProjectionRequest =
  | { readonly id: number; readonly op: 'rebuild'; readonly names: readonly string[]; readonly options: RebuildOptions }
  | { readonly id: number; readonly op: 'stop' }
  | { readonly id: number; readonly op: 'stop-one'; readonly name: string; readonly generation: number }
  | { readonly id: number; readonly op: 'close' };

/** Projection thread → main thread. */
export type ProjectionReport =
  | { readonly type: 'started'; readonly names: readonly string[]; readonly projections: readonly ProjectionSnapshot[] }
  | { readonly type: 'start-failed'; readonly error: { readonly name: string; readonly message: string; readonly stack?: string } }
  | { readonly type: 'state'; readonly projections: readonly ProjectionSnapshot[]; readonly caughtUp?: true }
  | { readonly type: 'reply'; readonly id: number; readonly result?: unknown; readonly error?: { readonly name: string; readonly message: string } };

function errorOf(e: unknown): { name: string; message: string; stack?: string } {
  return e instanceof Error ? { name: e.name, message: e.message, stack: e.stack } : { name: 'Error', message: String(e) };
}

function snapshotOf(p: RunningProjection): ProjectionSnapshot {
  return {
    name: p.name,
    generation: p.generation,
    state: p.state,
    position: p.position,
    events: p.events,
    meta: { ...p.meta },
    error: p.error === undefined || p.error === null ? null : { name: (p.error as Error).name ?? 'Error', message: String((p.error as Error).message ?? p.error) },
  };
}

/**
 * The projection thread: the node's five projections, folded from the ledger's SQLite file (tailed on a read
 * connection of its own, in WAL mode: it never writes the ledger) into the projection store, off the node's event
 * loop. It reports every projection's state after each commit and whenever one ends, and runs rebuilds and stops on
 * request. Started by ProjectionThread (projection-thread.ts) through a small eval'd loader.
 */
export async function runProjectionWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('the projection worker runs in a worker thread');
  const data = workerData as ProjectionWorkerData;
  const send = (report: ProjectionReport) => port.postMessage(report);

  let events: SqliteEventStore | undefined;
  let store: ProjectionStore | undefined;
  let host: ProjectionHost | undefined;
  const watched = new WeakSet<RunningProjection>();
  let reportQueued = false;
  const report = (caughtUp?: true) => {
    if (!host) return;
    if (caughtUp) {
      send({ type: 'state', projections: host.projections.map(snapshotOf), caughtUp });
      return;
    }
    // Commits of the five projections land together: one report for all of them.
    if (reportQueued) return;
    reportQueued = true;
    setImmediate(() => {
      reportQueued = false;
      if (host) send({ type: 'state', projections: host.projections.map(snapshotOf) });
    });
  };
  const watch = () => {
    for (const p of host?.projections ?? []) {
      if (watched.has(p)) continue;
      watched.add(p);
      p.done.then(
        () => report(),
        () => report(),
      );
    }
  };

  try {
    events = SqliteEventStore.open({ path: data.eventStoreFile, writerThread: false, pollIntervalMs: data.pollIntervalMs });
    store = data.store.backend === 'redis' ? await RedisProjectionStore.connect({ url: data.store.url, prefix: data.store.prefix }) : SqliteProjectionStore.open({ path: data.store.path });
    host = createProjections({ events, store, onCommit: () => report() }).host;
    await host.start();
    watch();
    send({ type: 'started', names: host.names, projections: host.projections.map(snapshotOf) });
  } catch (e) {
    send({ type: 'start-failed', error: errorOf(e) });
    await host?.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await events?.close().catch(() => undefined);
    port.close();
    return;
  }
  host.caughtUp().then(
    () => report(true),
    () => report(),
  );

  port.on('message', (msg: ProjectionRequest) => {
    // The state goes first, so that the main thread's mirror is current when the reply settles its promise.
    const reply = (work: () => Promise<unknown>) =>
      work().then(
        (result) => {
          watch();
          if (host) send({ type: 'state', projections: host.projections.map(snapshotOf) });
          send({ type: 'reply', id: msg.id, result });
        },
        (e: unknown) => {
          watch();
          if (host) send({ type: 'state', projections: host.projections.map(snapshotOf) });
          send({ type: 'reply', id: msg.id, error: errorOf(e) });
        },
      );
    switch (msg.op) {
      case 'rebuild':
        return void reply(() => host!.rebuild(msg.names, msg.options));
      case 'stop':
        return void reply(() => host!.stop());
      case 'stop-one':
        return void reply(async () => {
          const p = host!.projections.find((x) => x.name === msg.name && x.generation === msg.generation);
          if (p) await p.stop();
        });
      case 'close':
        return void reply(async () => {
          const closing = host!;
          await closing.stop();
          // The last state (every projection stopped) is reported before the stores go.
          send({ type: 'state', projections: closing.projections.map(snapshotOf) });
          host = undefined;
          await store!.close();
          await events!.close();
        }).finally(() => port.close());
    }
  });
}
