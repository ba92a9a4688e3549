import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { NoBodyPipe } from '../no-body.pipe';
import { ExpireMigrationCommand } from './expire-migration.command';

@ApiTags('migration sagas')
@Controller('migrations/:id')
export class ExpireMigrationController {
  constructor(private readonly commands: CommandBus) {}

  @Post('expire')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Expire the migration (at or after its deadline)',
    description: 'The scheduler does this by itself for every open saga; the route lets an operator do it at once. Refused with deadline-not-reached before the deadline. No body.',
  })
  async expire(@Param('id') id: string, @Body(NoBodyPipe) _none: undefined): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new ExpireMigrationCommand(id)));
  }
}
