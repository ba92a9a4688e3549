import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DisputeCommands } from '../dispute-commands';
import { IssueRulingCommand } from './issue-ruling.command';

@CommandHandler(IssueRulingCommand)
export class IssueRulingHandler implements ICommandHandler<IssueRulingCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: IssueRulingCommand) {
    return this.disputes.run(c.disputeId, 'IssueRuling', { ruling: c.ruling });
  }
}
