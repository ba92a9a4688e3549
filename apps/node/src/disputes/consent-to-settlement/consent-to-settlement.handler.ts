import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DisputeCommands } from '../dispute-commands';
import { ConsentToSettlementCommand } from './consent-to-settlement.command';

@CommandHandler(ConsentToSettlementCommand)
export class ConsentToSettlementHandler implements ICommandHandler<ConsentToSettlementCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: ConsentToSettlementCommand) {
    return this.disputes.run(c.disputeId, 'ConsentToSettlement', { party: c.party, consent: c.consent });
  }
}
