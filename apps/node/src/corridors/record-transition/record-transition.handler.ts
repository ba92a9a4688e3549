import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateStore } from '../../aggregates/aggregate-store';
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
  ) {}

  execute(command: RecordCorridorTransitionCommand) {
    this.payloads.check(command.transition);
    return this.store.execute(this.corridors, command.corridorId, {
      type: 'RecordCorridorTransition',
      at: this.clock.nowUtc(),
      data: { corridor_id: command.corridorId, transition: command.transition },
    });
  }
}
