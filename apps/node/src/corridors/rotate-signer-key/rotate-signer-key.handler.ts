import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AggregateStore } from '../../aggregates/aggregate-store';
import { Clock } from '../../aggregates/clock';
import { CorridorAggregate } from '../corridor-aggregate';
import { RotateSignerKeyCommand } from './rotate-signer-key.command';

@CommandHandler(RotateSignerKeyCommand)
export class RotateSignerKeyHandler implements ICommandHandler<RotateSignerKeyCommand> {
  constructor(
    private readonly store: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly clock: Clock,
  ) {}

  execute(command: RotateSignerKeyCommand) {
    return this.store.execute(this.corridors, command.corridorId, {
      type: 'RotateSignerKey',
      at: this.clock.nowUtc(),
      data: { corridor_id: command.corridorId, evidence: command.evidence },
    });
  }
}
