import { Injectable } from '@nestjs/common';
import { EventBus } from '@nestjs/cqrs';
import type { dispute } from '@corridor/domain';
import { AggregateStore, type CommandOutcome } from '../aggregates/aggregate-store';
import { Clock } from '../aggregates/clock';
import { AggregateReceiptsAppended } from '../process-managers/aggregate-receipts-appended.event';
import { DisputeAggregate, type DisputeView } from './dispute-aggregate';

type CommandOf<T extends dispute.DisputeCommand['type']> = Extract<dispute.DisputeCommand, { type: T }>;

/**
 * Runs a dispute command on the generic command path at the node's time, then announces the receipts it appended
 * (the corridor process manager records an enforced ruling in the corridor).
 */
@Injectable()
export class DisputeCommands {
  constructor(
    private readonly store: AggregateStore,
    private readonly disputes: DisputeAggregate,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  /** The dispute as the node keeps it. */
  view(disputeId: string): Promise<DisputeView> {
    return this.store.load(this.disputes, disputeId);
  }

  async run<T extends dispute.DisputeCommand['type']>(disputeId: string, type: T, data: Omit<CommandOf<T>['data'], 'dispute_id'>): Promise<CommandOutcome<DisputeView>> {
    const outcome = await this.store.execute(this.disputes, disputeId, { type, at: this.clock.nowUtc(), data: { ...data, dispute_id: disputeId } });
    if (outcome.receipts.length > 0) this.events.publish(new AggregateReceiptsAppended(outcome.aggregate, disputeId, outcome.receipts));
    return outcome;
  }
}
