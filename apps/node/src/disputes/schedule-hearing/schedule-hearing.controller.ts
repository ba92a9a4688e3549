import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { ScheduleHearingCommand } from './schedule-hearing.command';
import { ScheduleHearingDto } from './schedule-hearing.dto';

@ApiTags('disputes')
@Controller('disputes/:id')
export class ScheduleHearingController {
  constructor(private readonly commands: CommandBus) {}

  @Post('hearing')
  @HttpCode(201)
  @ApiOperation({ summary: 'Schedule the hearing (EVIDENCE_COLLECTION → HEARING)', description: 'The tribunal may close evidence early: the hearing may precede the evidence deadline.' })
  async scheduleHearing(@Param('id') id: string, @Body() b: ScheduleHearingDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new ScheduleHearingCommand(id, b.hearing_at)));
  }
}
