import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { StartMigrationCommand } from './start-migration.command';
import { StartMigrationDto } from './start-migration.dto';

@ApiTags('migration sagas')
@Controller('migrations')
export class StartMigrationController {
  constructor(private readonly commands: CommandBus) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Start a migration saga (phase initiated)', description: 'Appends migration-saga.started.v1 as receipt 0 of the saga chain, bound to the corridor’s state channel.' })
  async start(@Body() b: StartMigrationDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new StartMigrationCommand(b.migration_id, b.corridor_id, b.asset_id, b.source_jurisdiction, b.destination_jurisdiction, b.deadline)));
  }
}
