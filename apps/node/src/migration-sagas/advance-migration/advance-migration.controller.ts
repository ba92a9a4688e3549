import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { commandAnswer, CommandAnswer } from '../../aggregates/command-outcome.dto';
import { AdvanceMigrationCommand } from './advance-migration.command';
import { AdvanceMigrationDto } from './advance-migration.dto';

@ApiTags('migration sagas')
@Controller('migrations/:id')
export class AdvanceMigrationController {
  constructor(private readonly commands: CommandBus) {}

  @Post('advance')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Complete the current forward phase (before the deadline)',
    description: 'Appends migration-saga.phase-advanced.v1 (or .completed.v1 after destination_unlock); the node then records migration.step.completed.v1 in the corridor.',
  })
  async advance(@Param('id') id: string, @Body() b: AdvanceMigrationDto): Promise<CommandAnswer> {
    return commandAnswer(await this.commands.execute(new AdvanceMigrationCommand(id, b.from_phase, b.evidence_digest_sha256)));
  }
}
