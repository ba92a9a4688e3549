import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { dispute } from '@corridor/domain';
import { DisputeCommands } from '../dispute-commands';
import { ForfeitEscrowCommand } from './forfeit-escrow.command';

@CommandHandler(ForfeitEscrowCommand)
export class ForfeitEscrowHandler implements ICommandHandler<ForfeitEscrowCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: ForfeitEscrowCommand) {
    return this.disputes.run(c.disputeId, 'ForfeitEscrow', {
      escrow_id: c.escrowId,
      condition: c.condition as dispute.EscrowCondition,
      ...(c.orderDigestSha256 === undefined ? {} : { order_digest_sha256: c.orderDigestSha256 }),
    });
  }
}
