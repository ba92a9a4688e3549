import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DisputeCommands } from '../dispute-commands';
import { DismissDisputeCommand } from './dismiss-dispute.command';

@CommandHandler(DismissDisputeCommand)
export class DismissDisputeHandler implements ICommandHandler<DismissDisputeCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: DismissDisputeCommand) {
    return this.disputes.run(c.disputeId, 'DismissDispute', { dismissal_order_digest_sha256: c.dismissalOrderDigestSha256, reason: c.reason });
  }
}
