import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { CloseDisputeCommand } from './close-dispute.command';
import { CloseDisputeDto } from './close-dispute.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class CloseDisputeController {
  constructor(private readonly commands: CommandBus) {}

  @Post('close')
  @HttpCode(201)
  @ApiOperation({ summary: 'Close the dispute (ENFORCED → CLOSED)', description: 'Refused with escrow-outstanding while any escrow is still funded.' })
  async closeDispute(@Param('id') id: string, @Body() b: CloseDisputeDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new CloseDisputeCommand(id, b.final_report_digest_sha256)));
  }
}
