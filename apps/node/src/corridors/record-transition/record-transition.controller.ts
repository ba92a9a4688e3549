import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { RecordCorridorTransitionCommand } from './record-transition.command';
import { RecordTransitionDto } from './record-transition.dto';

@ApiTags('corridors')
@Controller('corridors/:id/transitions')
export class RecordCorridorTransitionController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: "Append a transition to an ACTIVE corridor's state channel", description: 'Answers with the signed receipt; refused with the reason in any other state.' })
  async record(@Param('id') id: string, @Body() body: RecordTransitionDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new RecordCorridorTransitionCommand(id, body.transition)));
  }
}
