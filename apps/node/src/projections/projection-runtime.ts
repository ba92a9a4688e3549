import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { resolve } from 'node:path';
import { createProjections, ProjectionQueries, RedisProjectionStore, SqliteProjectionStore, type ProjectionStore } from '@corridor/compliance';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import type { NodeConfig } from '../config/node-config';
import { NODE_CONFIG } from '../infrastructure/tokens';
import { ProjectionThread, type ProjectionHostView } from './projection-thread';

/** The projection store file in the node's data folder. */
export function projectionStoreFile(dataDir: string): string {
  return resolve(dataDir, 'projections.sqlite');
}

/** How often the projection thread looks for new events in the ledger file (ms): the lag it adds when idle. */
export const PROJECTION_POLL_MS = 20;

/**
 * The node's read side: the five projections of `@corridor/compliance` folded from the ledger's global log into
 * `projections.sqlite` in the data folder (or Redis). Started (and caught up with the log) before the node serves;
 * stopped (committing what it folded) before the event store closes.
 *
 * With the embedded SQLite ledger (the default), the projections run on a thread of their own
 * (projection-thread.ts): it tails the ledger file on its own read connection and folds into the projection store,
 * so that folding and persisting read models take nothing from the event loop that answers commands. Queries read
 * the store here, on a connection of this thread (read-only for SQLite). With EventStoreDB they run on the event
 * loop, over the node's event store.
 */
@Injectable()
export class ProjectionRuntime implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Projections');
  private wired?: { store: ProjectionStore; host: ProjectionHostView; queries: ProjectionQueries; thread?: ProjectionThread };
  private stopped = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.eventStore === 'sqlite') await this.startThread();
    else await this.startInProcess();
    this.logger.log(`projections caught up${this.wired?.thread ? ' (on their own thread)' : ''}: ${this.host.projections.map((p) => `${p.name}@${p.generation} (${p.events} events)`).join(', ')}`);
  }

  private async startThread(): Promise<void> {
    const thread = await ProjectionThread.start({
      eventStoreFile: this.config.eventStoreFile,
      pollIntervalMs: PROJECTION_POLL_MS,
      store: this.config.projectionStore === 'redis' ? { backend: 'redis', url: this.requireRedisUrl(), prefix: this.config.redisPrefix } : { backend: 'sqlite', path: projectionStoreFile(this.config.dataDir) },
    });
    let store: ProjectionStore | undefined;
    try {
      await thread.caughtUp();
      // The thread created the store; this thread only reads it.
      store = this.config.projectionStore === 'redis' ? await this.openRedis() : SqliteProjectionStore.open({ path: projectionStoreFile(this.config.dataDir), readonly: true });
    } catch (e) {
      await thread.close().catch(() => undefined);
      throw e;
    }
    this.wired = { store, host: thread, queries: new ProjectionQueries(store), thread };
  }

  private async startInProcess(): Promise<void> {
    const store = this.config.projectionStore === 'redis' ? await this.openRedis() : SqliteProjectionStore.open({ path: projectionStoreFile(this.config.dataDir) });
    const { host, queries } = createProjections({ events: this.events, store });
    this.wired = { store, host, queries };
    try {
      await host.start();
      await host.caughtUp();
    } catch (e) {
      await host.stop().catch(() => undefined);
      await store.close().catch(() => undefined);
      this.wired = undefined;
      throw e;
    }
  }

  private requireRedisUrl(): string {
    if (!this.config.redisUrl) throw new Error('redisUrl (REDIS_URL) is required when projectionStore is redis');
    return this.config.redisUrl;
  }

  /** Redis (shared by API replicas) when `projectionStore` is `redis`. */
  private openRedis(): Promise<ProjectionStore> {
    return RedisProjectionStore.connect({ url: this.requireRedisUrl(), prefix: this.config.redisPrefix });
  }

  /** Which store backs the projections, for status answers. */
  get backend(): 'sqlite' | 'redis' {
    return this.config.projectionStore;
  }

  /** Whether the projections fold on a thread of their own (the SQLite ledger) rather than on the event loop. */
  get onOwnThread(): boolean {
    return this.require().thread !== undefined;
  }

  get host(): ProjectionHostView {
    return this.require().host;
  }

  get queries(): ProjectionQueries {
    return this.require().queries;
  }

  /** The store the queries read (on the projection thread's setup, a read-only connection of this thread). */
  get store(): ProjectionStore {
    return this.require().store;
  }

  /** State of each running projection, for status answers. */
  status() {
    return this.host.projections.map((p) => ({
      projection: p.name,
      generation: p.generation,
      state: p.state,
      events: p.events,
      position: p.position === undefined ? null : `${p.position.commit}/${p.position.prepare}`,
      meta: p.meta,
      error: p.error === undefined || p.error === null ? null : String((p.error as Error).message ?? p.error),
    }));
  }

  private require() {
    if (!this.wired) throw new Error('the projections are not started');
    return this.wired;
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.wired || this.stopped) return;
    this.stopped = true;
    await this.wired.host.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.wired) return;
    if (!this.stopped) {
      this.stopped = true;
      await this.wired.host.stop();
    }
    if (this.wired.thread) await this.wired.thread.close();
    await this.wired.store.close();
  }
}
