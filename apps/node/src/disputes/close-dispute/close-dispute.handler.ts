import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DisputeCommands } from '../dispute-commands';
import { CloseDisputeCommand } from './close-dispute.command';

@CommandHandler(CloseDisputeCommand)
export class CloseDisputeHandler implements ICommandHandler<CloseDisputeCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: CloseDisputeCommand) {
    return this.disputes.run(c.disputeId, 'CloseDispute', { final_report_digest_sha256: c.finalReportDigestSha256 });
  }
}
