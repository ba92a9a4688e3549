import { Inject, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus, EventsHandler, type IEventHandler } from '@nestjs/cqrs';
import { DomainError } from '@corridor/domain';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import { parseJsonText, type JsonObject, type TransitionEnvelope } from '@corridor/protocol';
import { ChainReader, MAX_PAGE } from '../chains/chain-reader';
import type { NodeConfig } from '../config/node-config';
import { stateChannelStream } from '../corridors/corridor-aggregate';
import { RecordCorridorTransitionCommand } from '../corridors/record-transition/record-transition.command';
import { requestContext } from '../idempotency/request-context';
import { NODE_CONFIG } from '../infrastructure/tokens';
import { AggregateReceiptsAppended } from './aggregate-receipts-appended.event';
import { corridorTransitionOf, REQUESTING_STREAM_PREFIXES, transitionKey, type CorridorTransitionRequest } from './corridor-transition-request';
import { StreamPrefixScan } from './stream-prefix-scan';

/**
 * Records in the corridor what sagas and disputes ask of it: a completed or compensated migration step
 * (`migration.step.*`) and an enforced ruling (`arbitration.enforcement.*`) become transitions of the corridor's
 * state channel (RecordCorridorTransition).
 *
 * Reacts at once to the receipts a command appended (the event bus), and — so that nothing is lost to a crash
 * between the saga's append and the corridor's — also reads the saga and dispute streams from the event store: all
 * of them at start-up, then incrementally every scheduler interval. A request is recorded only if the corridor's
 * chain does not hold a transition with its kind and payload digest yet, so reacting twice records once. A request
 * the corridor refuses (say, it is halted) stays pending and is tried again on the next pass.
 */
@EventsHandler(AggregateReceiptsAppended)
export class CorridorTransitionProcessManager implements IEventHandler<AggregateReceiptsAppended>, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('CorridorTransitions');
  private readonly pending = new Map<string, CorridorTransitionRequest>();
  /** Per corridor: the transitions its state channel holds, read up to `after`. */
  private readonly recorded = new Map<string, { after: number; keys: Set<string> }>();
  private readonly warned = new Set<string>();
  private readonly requesting: StreamPrefixScan;
  private work: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    private readonly commands: CommandBus,
    private readonly chains: ChainReader,
  ) {
    this.requesting = new StreamPrefixScan(store, REQUESTING_STREAM_PREFIXES);
  }

  handle(event: AggregateReceiptsAppended): void {
    for (const { stream, receipt } of event.receipts) {
      const request = corridorTransitionOf(stream, receipt);
      if (request) this.pending.set(request.key, request);
    }
    if (this.pending.size > 0) void this.run(false);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.run(true), this.config.schedulerIntervalMs);
    this.timer.unref();
    setImmediate(() => void this.run(true));
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.work;
  }

  /** Queues one pass after the current one; resolves when it is done. Never rejects. */
  run(scan: boolean): Promise<void> {
    // Outside any request's context: the corridor's receipts must not carry a saga request's Idempotency-Key.
    requestContext.exit(() => {
      this.work = this.work.then(() => this.pass(scan)).catch((e) => this.logger.error(`pass failed: ${(e as Error).stack ?? e}`));
    });
    return this.work;
  }

  private async pass(scan: boolean): Promise<void> {
    if (this.stopped) return;
    if (scan) await this.scan();
    for (const [key, request] of this.pending) {
      if (this.stopped) return;
      try {
        await this.ensureRecorded(request);
        this.pending.delete(key);
        this.warned.delete(key);
      } catch (e) {
        if (!this.warned.has(key)) {
          this.warned.add(key);
          const why = e instanceof DomainError ? e.message : ((e as Error).stack ?? String(e));
          this.logger.warn(`${request.kind} asked by ${request.source.stream}#${request.source.sequence} is not recorded in corridor ${request.corridorId} yet (will retry): ${why}`);
        }
      }
    }
  }

  /** Reads saga and dispute receipts appended since the last scan and queues what they ask for. */
  private scan(): Promise<void> {
    return this.requesting.pass((event) => {
      const request = corridorTransitionOf(event.stream, parseJsonText(event.data) as JsonObject);
      if (request) this.pending.set(request.key, request);
    });
  }

  private async ensureRecorded(request: CorridorTransitionRequest): Promise<void> {
    const index = await this.recordedIn(request.corridorId);
    if (index.keys.has(request.key)) return;
    await this.commands.execute(new RecordCorridorTransitionCommand(request.corridorId, { kind: request.kind, payload: request.payload }));
    index.keys.add(request.key);
    this.logger.log(`recorded ${request.kind} in corridor ${request.corridorId} for ${request.source.stream}#${request.source.sequence}`);
  }

  /** The transitions in the corridor's state channel, read incrementally (other writers may have added some). */
  private async recordedIn(corridorId: string): Promise<{ after: number; keys: Set<string> }> {
    let index = this.recorded.get(corridorId);
    if (!index) this.recorded.set(corridorId, (index = { after: -1, keys: new Set() }));
    for (;;) {
      const page = await this.chains.receipts(stateChannelStream(corridorId), index.after, MAX_PAGE);
      for (const receipt of page.receipts) {
        const t = receipt.transition as TransitionEnvelope;
        index.keys.add(transitionKey(corridorId, t.kind, t.payload_sha256));
        index.after = receipt.sequence as number;
      }
      if (page.receipts.length < MAX_PAGE) return index;
    }
  }
}
