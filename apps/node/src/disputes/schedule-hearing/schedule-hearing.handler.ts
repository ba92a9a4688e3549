import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DisputeCommands } from '../dispute-commands';
import { ScheduleHearingCommand } from './schedule-hearing.command';

@CommandHandler(ScheduleHearingCommand)
export class ScheduleHearingHandler implements ICommandHandler<ScheduleHearingCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: ScheduleHearingCommand) {
    return this.disputes.run(c.disputeId, 'ScheduleHearing', { hearing_at: c.hearingAt });
  }
}
