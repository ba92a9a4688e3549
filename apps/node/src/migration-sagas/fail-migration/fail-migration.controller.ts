import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { FailMigrationCommand } from './fail-migration.command';
import { FailMigrationDto } from './fail-migration.dto';

@ApiTags('migration sagas')
@Controller('migrations/:id')
export class FailMigrationController {
  constructor(private readonly commands: CommandBus) {}

  @Post('fail')
  @HttpCode(201)
  @ApiOperation({ summary: 'Fail the migration (any forward phase)', description: 'A forward step failed for good; compensation starts and ends the saga compensated.' })
  async fail(@Param('id') id: string, @Body() b: FailMigrationDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new FailMigrationCommand(id, b.reason)));
  }
}
