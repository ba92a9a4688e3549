import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { dispute } from '@corridor/domain';
import { DisputeCommands } from '../dispute-commands';
import { ReleaseEscrowCommand } from './release-escrow.command';

@CommandHandler(ReleaseEscrowCommand)
export class ReleaseEscrowHandler implements ICommandHandler<ReleaseEscrowCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: ReleaseEscrowCommand) {
    return this.disputes.run(c.disputeId, 'ReleaseEscrow', {
      escrow_id: c.escrowId,
      to: c.to,
      condition: c.condition as dispute.EscrowCondition,
      ...(c.orderDigestSha256 === undefined ? {} : { order_digest_sha256: c.orderDigestSha256 }),
    });
  }
}
