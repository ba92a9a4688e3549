import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { ConsentToSettlementCommand } from './consent-to-settlement.command';
import { ConsentToSettlementDto } from './consent-to-settlement.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class ConsentToSettlementController {
  constructor(private readonly commands: CommandBus) {}

  @Post('settlement-consents')
  @HttpCode(201)
  @ApiOperation({ summary: 'A party consents to settle (before a decision)', description: "An MSEZDisputeSettlementConsentCredential {dispute_id, settlement_agreement_sha256} signed by the party. The second party's consent to the same agreement also settles the dispute (SETTLED)." })
  async consentToSettlement(@Param('id') id: string, @Body() b: ConsentToSettlementDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new ConsentToSettlementCommand(id, b.party, b.consent)));
  }
}
