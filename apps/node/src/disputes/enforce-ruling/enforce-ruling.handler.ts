import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DisputeCommands } from '../dispute-commands';
import { EnforceRulingCommand } from './enforce-ruling.command';

@CommandHandler(EnforceRulingCommand)
export class EnforceRulingHandler implements ICommandHandler<EnforceRulingCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: EnforceRulingCommand) {
    return this.disputes.run(c.disputeId, 'EnforceRuling', {});
  }
}
