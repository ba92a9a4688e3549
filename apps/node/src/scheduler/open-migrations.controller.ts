import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { MigrationDeadlineScheduler } from './migration-deadline.scheduler';

@ApiTags('migration sagas')
@Controller('migrations')
export class OpenMigrationsController {
  constructor(private readonly scheduler: MigrationDeadlineScheduler) {}

  @Get()
  @ApiOperation({
    summary: "Open sagas and the scheduler's instruction for each (as of its last pass)",
    description: 'The work list of whoever runs compensation steps: instruction.do = attempt-compensation-step names the step and attempt due now; await-operator a saga waiting for an operator.',
  })
  list() {
    return this.scheduler.openMigrations();
  }
}
