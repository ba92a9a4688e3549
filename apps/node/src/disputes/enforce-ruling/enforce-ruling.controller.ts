import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { NoBodyPipe } from '../../migration-sagas/no-body.pipe';
import { EnforceRulingCommand } from './enforce-ruling.command';

@ApiTags('disputes')
@Controller('disputes/:id')
export class EnforceRulingController {
  constructor(private readonly commands: CommandBus) {}

  @Post('enforce')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Enforce the ruling (DECIDED → ENFORCED, after any appeal deadline)',
    description: "Appends dispute.ruling-enforced.v1; the node then records arbitration.enforcement.ruling.v1 in the corridor's state channel. No body.",
  })
  async enforce(@Param('id') id: string, @Body(NoBodyPipe) _none: undefined): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new EnforceRulingCommand(id)));
  }
}
