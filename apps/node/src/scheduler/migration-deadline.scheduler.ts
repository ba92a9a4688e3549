import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { CommandBus, EventBus } from '@nestjs/cqrs';
import { migrationSaga, nextSchedulerInstruction } from '@corridor/domain';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import { AggregateStore } from '../aggregates/aggregate-store';
import { Clock } from '../aggregates/clock';
import type { NodeConfig } from '../config/node-config';
import { requestContext } from '../idempotency/request-context';
import { NODE_CONFIG } from '../infrastructure/tokens';
import { ExpireMigrationCommand } from '../migration-sagas/expire-migration/expire-migration.command';
import { MIGRATION_STREAM_PREFIX, MigrationSagaAggregate } from '../migration-sagas/migration-saga-aggregate';
import { StreamPrefixScan } from '../process-managers/stream-prefix-scan';
import { CompensationStepDue } from './compensation-step-due.event';

/** One open saga and what the scheduler decided about it on its last pass. */
export interface OpenMigration {
  migration_id: string;
  phase: migrationSaga.SagaPhase;
  deadline: string;
  instruction: migrationSaga.SchedulerInstruction;
}

/**
 * The saga deadline scheduler. At start-up and then every `schedulerIntervalMs` it asks the domain
 * (`nextSchedulerInstruction(state, now)`) what to do about every open saga, and does it:
 * - `expire`: issues ExpireMigration, so compensation starts;
 * - `attempt-compensation-step`: announces the due step (CompensationStepDue) — its effect is outside the ledger;
 * - `await-operator`: warns that the saga waits for ResolveCompensationFailure;
 * - `wait` / `nothing`: nothing now (a terminal saga leaves the open set).
 *
 * Open sagas are found in the event store, never in memory alone: the first pass reads every saga stream
 * (`migration-…`), later passes what was appended since. A saga whose deadline passed while the node was down is
 * therefore expired on the first pass after a restart.
 */
@Injectable()
export class MigrationDeadlineScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MigrationScheduler');
  private readonly open = new Map<string, OpenMigration | null>();
  /** (saga, step, attempt) already announced; (saga, step, failures) already escalated to the log. */
  private readonly announced = new Set<string>();
  private readonly sagaStreams: StreamPrefixScan;
  private work: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private passes = 0;

  constructor(
    @Inject(EVENT_STORE) store: EventStore,
    @Inject(NODE_CONFIG) private readonly config: NodeConfig,
    private readonly aggregates: AggregateStore,
    private readonly sagas: MigrationSagaAggregate,
    private readonly commands: CommandBus,
    private readonly events: EventBus,
    private readonly clock: Clock,
  ) {
    this.sagaStreams = new StreamPrefixScan(store, [MIGRATION_STREAM_PREFIX]);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.schedulerIntervalMs);
    this.timer.unref();
    setImmediate(() => void this.tick());
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.work;
  }

  /** Runs one pass after the current one (passes never overlap); resolves when it is done. Never rejects. */
  tick(): Promise<void> {
    requestContext.exit(() => {
      this.work = this.work.then(() => this.pass()).catch((e) => this.logger.error(`scheduler pass failed: ${(e as Error).stack ?? e}`));
    });
    return this.work;
  }

  /** Open sagas with the instruction of the last pass, deadline first. */
  openMigrations(): { passes: number; migrations: OpenMigration[] } {
    const migrations = [...this.open.values()].filter((m): m is OpenMigration => m !== null);
    migrations.sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : a.migration_id < b.migration_id ? -1 : 1));
    return { passes: this.passes, migrations };
  }

  private async pass(): Promise<void> {
    if (this.stopped) return;
    await this.discover();
    const now = this.clock.nowUtc();
    for (const id of [...this.open.keys()]) {
      if (this.stopped) return;
      try {
        await this.attend(id, now);
      } catch (e) {
        this.logger.warn(`migration ${id}: ${(e as Error).message} (will retry on the next pass)`);
      }
    }
    this.passes++;
  }

  /** Adds every saga stream appended to since the last pass to the open set (a terminal saga leaves it again). */
  private discover(): Promise<void> {
    return this.sagaStreams.pass((event) => {
      const id = event.stream.slice(MIGRATION_STREAM_PREFIX.length);
      if (!this.open.has(id)) this.open.set(id, null);
    });
  }

  private async attend(id: string, now: string): Promise<void> {
    let state = (await this.aggregates.load(this.sagas, id)).state;
    let instruction = nextSchedulerInstruction(state, now);
    if (instruction.do === 'expire') {
      this.logger.log(`migration ${id}: deadline ${state.deadline} passed in ${state.phase}; expiring it`);
      await this.commands.execute(new ExpireMigrationCommand(id));
      state = (await this.aggregates.load(this.sagas, id)).state;
      instruction = nextSchedulerInstruction(state, now);
    }
    if (instruction.do === 'attempt-compensation-step') {
      const key = `${id}\n${instruction.step}\n${instruction.attempt}`;
      if (!this.announced.has(key)) {
        this.announced.add(key);
        this.logger.log(`migration ${id}: compensation step ${instruction.step} is due (attempt ${instruction.attempt})`);
        this.events.publish(new CompensationStepDue(id, instruction.step, instruction.attempt));
      }
    } else if (instruction.do === 'await-operator') {
      const key = `${id}\n${instruction.step}\noperator\n${instruction.failures}`;
      if (!this.announced.has(key)) {
        this.announced.add(key);
        this.logger.warn(`migration ${id}: compensation step ${instruction.step} failed ${instruction.failures} times (${instruction.last_error}); an operator must resolve it`);
      }
    }
    if (state.migration_id === null || state.phase === null || migrationSaga.TERMINAL_PHASES.includes(state.phase)) {
      this.open.delete(id);
      return;
    }
    this.open.set(id, { migration_id: id, phase: state.phase, deadline: state.deadline!, instruction });
  }
}
