import type { JsonObject } from '@corridor/protocol';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateStore } from '../../aggregates/aggregate-store';
import { PeeringService } from '../../peering/peering.service';
import { Clock } from '../../aggregates/clock';
import { CorridorAggregate } from '../corridor-aggregate';
import { RecordCorridorTransitionCommand } from './record-transition.command';
import { TransitionPayloadValidator } from './transition-payload.validator';

@CommandHandler(RecordCorridorTransitionCommand)
export class RecordCorridorTransitionHandler implements ICommandHandler<RecordCorridorTransitionCommand> {
  constructor(
    private readonly store: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly clock: Clock,
    private readonly payloads: TransitionPayloadValidator,
    private readonly peering: PeeringService,
  ) {}

  async execute(command: RecordCorridorTransitionCommand) {
    this.payloads.check(command.transition);
    // On a shared corridor another node sequences, the transition travels to it as a proposal (spec/peering.md §2).
    await this.peering.requireCurrentKey(command.corridorId);
    const peering = await this.peering.peeringOf(command.corridorId);
    if (peering && !peering.isSequencer) return this.peering.propose(peering, command.transition as JsonObject);
    return this.store.execute(this.corridors, command.corridorId, {
      type: 'RecordCorridorTransition',
      at: this.clock.nowUtc(),
      data: { corridor_id: command.corridorId, transition: command.transition },
    });
  }
}
