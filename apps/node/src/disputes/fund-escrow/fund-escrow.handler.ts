import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { dispute } from '@corridor/domain';
import { DisputeCommands } from '../dispute-commands';
import { FundEscrowCommand } from './fund-escrow.command';

@CommandHandler(FundEscrowCommand)
export class FundEscrowHandler implements ICommandHandler<FundEscrowCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: FundEscrowCommand) {
    return this.disputes.run(c.disputeId, 'FundEscrow', { escrow_id: c.escrowId, escrow_type: c.escrowType as dispute.EscrowType, amount: c.amount, currency: c.currency, funded_by: c.fundedBy });
  }
}
