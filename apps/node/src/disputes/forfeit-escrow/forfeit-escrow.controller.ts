import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { ForfeitEscrowCommand } from './forfeit-escrow.command';
import { ForfeitEscrowDto } from './forfeit-escrow.dto';

@ApiTags('disputes')
@Controller('disputes/:id/escrows/:escrowId')
export class ForfeitEscrowController {
  constructor(private readonly commands: CommandBus) {}

  @Post('forfeit')
  @HttpCode(201)
  @ApiOperation({ summary: 'Forfeit escrow (funded escrow, whole)', description: 'Forfeit funded escrow, for a reason that holds now. Refused for escrow that is not funded, or a condition that does not hold in the dispute’s state.' })
  async forfeit(@Param('id') id: string, @Param('escrowId') escrowId: string, @Body() b: ForfeitEscrowDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new ForfeitEscrowCommand(id, escrowId, b.condition, b.order_digest_sha256)));
  }
}
