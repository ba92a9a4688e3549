import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { resolve } from 'node:path';
import { createProjections, RedisProjectionStore, SqliteProjectionStore, type ProjectionHost, type ProjectionQueries, type ProjectionStore } from '@corridor/compliance';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import type { NodeConfig } from '../config/node-config';
import { NODE_CONFIG } from '../infrastructure/tokens';

/** The projection store file in the node's data folder. */
export function projectionStoreFile(dataDir: string): string {
  return resolve(dataDir, 'projections.sqlite');
}

/**
 * The node's read side: the five projections of `@corridor/compliance` folded from the ledger's global log into
 * `projections.sqlite` in the data folder. Started (and caught up with the log) before the node serves; stopped
 * (committing what it folded) before the event store closes.
 */
@Injectable()
export class ProjectionRuntime implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Projections');
  private wired?: { store: ProjectionStore; host: ProjectionHost; queries: ProjectionQueries };
  private stopped = false;

  constructor(
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  async onModuleInit(): Promise<void> {
    const store = await this.openStore();
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
    this.logger.log(`projections caught up: ${host.projections.map((p) => `${p.name}@${p.generation} (${p.events} events)`).join(', ')}`);
  }

  /** SQLite in the data folder by default; Redis (shared by API replicas) when `projectionStore` is `redis`. */
  private async openStore(): Promise<ProjectionStore> {
    if (this.config.projectionStore === 'redis') {
      if (!this.config.redisUrl) throw new Error('redisUrl (REDIS_URL) is required when projectionStore is redis');
      return RedisProjectionStore.connect({ url: this.config.redisUrl, prefix: this.config.redisPrefix });
    }
    return SqliteProjectionStore.open({ path: projectionStoreFile(this.config.dataDir) });
  }

  /** Which store backs the projections, for status answers. */
  get backend(): 'sqlite' | 'redis' {
    return this.config.projectionStore;
  }

  get host(): ProjectionHost {
    return this.require().host;
  }

  get queries(): ProjectionQueries {
    return this.require().queries;
  }

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
    await this.wired.store.close();
  }
}
