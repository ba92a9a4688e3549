import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { ReleaseEscrowCommand } from './release-escrow.command';
import { ReleaseEscrowDto } from './release-escrow.dto';

@ApiTags('disputes')
@Controller('disputes/:id/escrows/:escrowId')
export class ReleaseEscrowController {
  constructor(private readonly commands: CommandBus) {}

  @Post('release')
  @HttpCode(201)
  @ApiOperation({ summary: 'Release escrow to a party (funded escrow, whole)', description: 'Release funded escrow to a party, for a reason that holds now. Refused for escrow that is not funded, or a condition that does not hold in the dispute’s state.' })
  async release(@Param('id') id: string, @Param('escrowId') escrowId: string, @Body() b: ReleaseEscrowDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new ReleaseEscrowCommand(id, escrowId, b.to, b.condition, b.order_digest_sha256)));
  }
}
