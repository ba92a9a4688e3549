import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { IssueRulingCommand } from './issue-ruling.command';
import { IssueRulingDto } from './issue-ruling.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class IssueRulingController {
  constructor(private readonly commands: CommandBus) {}

  @Post('ruling')
  @HttpCode(201)
  @ApiOperation({ summary: 'Issue the ruling (HEARING → DECIDED)', description: 'An MSEZArbitrationRulingCredential signed by the appointed arbitrator, about this dispute and corridor: {dispute_id, corridor_id, ruling: {disposition, orders[]}, appeal_deadline?}.' })
  async issueRuling(@Param('id') id: string, @Body() b: IssueRulingDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new IssueRulingCommand(id, b.ruling)));
  }
}
