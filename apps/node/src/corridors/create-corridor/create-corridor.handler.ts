import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateStore } from '../../aggregates/aggregate-store';
import { Clock } from '../../aggregates/clock';
import { CorridorAggregate } from '../corridor-aggregate';
import { CreateCorridorCommand } from './create-corridor.command';

@CommandHandler(CreateCorridorCommand)
export class CreateCorridorHandler implements ICommandHandler<CreateCorridorCommand> {
  constructor(
    private readonly store: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly clock: Clock,
  ) {}

  execute(command: CreateCorridorCommand) {
    return this.store.execute(this.corridors, command.corridorId, {
      type: 'CreateCorridor',
      at: this.clock.nowUtc(),
      data: { corridor_id: command.corridorId, trust_anchors: command.trustAnchors },
    });
  }
}
