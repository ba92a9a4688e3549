import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { CancelMigrationCommand } from './cancel-migration.command';
import { CancelMigrationDto } from './cancel-migration.dto';

@ApiTags('migration sagas')
@Controller('migrations/:id')
export class CancelMigrationController {
  constructor(private readonly commands: CommandBus) {}

  @Post('cancel')
  @HttpCode(201)
  @ApiOperation({ summary: 'Cancel the migration before transit', description: 'The parties withdraw before the asset leaves the source (initiated … source_lock); compensation starts and ends the saga cancelled.' })
  async cancel(@Param('id') id: string, @Body() b: CancelMigrationDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new CancelMigrationCommand(id, b.reason)));
  }
}
