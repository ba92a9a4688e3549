import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { CreateCorridorCommand } from './create-corridor.command';
import { CreateCorridorDto } from './create-corridor.dto';

@ApiTags('corridors')
@Controller('corridors')
export class CreateCorridorController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create a corridor (DRAFT)', description: 'Appends corridor.created.v1 as receipt 0 of the corridor lifecycle chain.' })
  async create(@Body() body: CreateCorridorDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new CreateCorridorCommand(body.corridor_id, body.trust_anchors)));
  }
}
