import { Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import type { migrationSaga } from '@corridor/domain';
import { AggregateStore, type CommandOutcome } from '../aggregates/aggregate-store';
import { Clock } from '../aggregates/clock';
import { AggregateReceiptsAppended } from '../process-managers/aggregate-receipts-appended.event';
import { MigrationSagaAggregate, type MigrationSagaView } from './migration-saga-aggregate';

type CommandOf<T extends migrationSaga.MigrationSagaCommand['type']> = Extract<migrationSaga.MigrationSagaCommand, { type: T }>;

/**
 * Runs a saga command on the generic command path at the node's time, then announces the receipts it appended
 * (the corridor process manager records the steps they carry in the corridor).
 */
@Injectable()
export class MigrationSagaCommands {
  constructor(
    private readonly store: AggregateStore,
    private readonly sagas: MigrationSagaAggregate,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  /** The saga as the node keeps it (state, start facts, stream revision). */
  view(migrationId: string): Promise<MigrationSagaView> {
    return this.store.load(this.sagas, migrationId);
  }

  async run<T extends migrationSaga.MigrationSagaCommand['type']>(migrationId: string, type: T, data: Omit<CommandOf<T>['data'], 'migration_id'>): Promise<CommandOutcome<MigrationSagaView>> {
    const outcome = await this.store.execute(this.sagas, migrationId, { type, at: this.clock.nowUtc(), data: { ...data, migration_id: migrationId } });
    if (outcome.receipts.length > 0) this.events.publish(new AggregateReceiptsAppended(outcome.aggregate, migrationId, outcome.receipts));
    return outcome;
  }
}
