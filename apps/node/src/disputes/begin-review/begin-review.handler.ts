import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DisputeCommands } from '../dispute-commands';
import { BeginReviewCommand } from './begin-review.command';

@CommandHandler(BeginReviewCommand)
export class BeginReviewHandler implements ICommandHandler<BeginReviewCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: BeginReviewCommand) {
    return this.disputes.run(c.disputeId, 'BeginReview', { case_reference: c.caseReference, arbitrator: c.arbitrator });
  }
}
