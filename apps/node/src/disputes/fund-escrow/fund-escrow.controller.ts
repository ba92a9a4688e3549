import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { FundEscrowCommand } from './fund-escrow.command';
import { FundEscrowDto } from './fund-escrow.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class FundEscrowController {
  constructor(private readonly commands: CommandBus) {}

  @Post('escrows')
  @HttpCode(201)
  @ApiOperation({ summary: 'Fund escrow (a party, while the dispute is open)', description: 'Escrow types: filing_fee, security_deposit, award_escrow, appeal_bond. Amounts are decimal strings.' })
  async fundEscrow(@Param('id') id: string, @Body() b: FundEscrowDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new FundEscrowCommand(id, b.escrow_id, b.escrow_type, b.amount, b.currency, b.funded_by)));
  }
}
