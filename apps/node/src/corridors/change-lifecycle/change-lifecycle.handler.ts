import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { corridor } from '@corridor/domain';
import { AggregateStore } from '../../aggregates/aggregate-store';
import { Clock } from '../../aggregates/clock';
import { CorridorAggregate } from '../corridor-aggregate';
import { ChangeCorridorLifecycleCommand } from './change-lifecycle.command';

const COMMAND_OF_KIND = Object.fromEntries(Object.entries(corridor.LIFECYCLE_COMMAND_KINDS).map(([type, kind]) => [kind, type])) as Record<corridor.LifecycleKind, corridor.LifecycleCommandType>;

@CommandHandler(ChangeCorridorLifecycleCommand)
export class ChangeCorridorLifecycleHandler implements ICommandHandler<ChangeCorridorLifecycleCommand> {
  constructor(
    private readonly store: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly clock: Clock,
  ) {}

  async execute(command: ChangeCorridorLifecycleCommand) {
    let kind = command.kind;
    if (kind === 'resume') {
      const view = await this.store.load(this.corridors, command.corridorId);
      kind = view.state.lifecycle === 'HALTED' ? 'resume_from_halt' : 'resume_from_suspension';
    }
    return this.store.execute(this.corridors, command.corridorId, {
      type: COMMAND_OF_KIND[kind],
      at: this.clock.nowUtc(),
      data: { corridor_id: command.corridorId, evidence: command.evidence, authorization: command.authorization },
    });
  }
}
