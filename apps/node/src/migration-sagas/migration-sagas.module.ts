import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ProcessManagersModule } from '../process-managers/process-managers.module';
import { AdvanceMigrationController } from './advance-migration/advance-migration.controller';
import { AdvanceMigrationHandler } from './advance-migration/advance-migration.handler';
import { CancelMigrationController } from './cancel-migration/cancel-migration.controller';
import { CancelMigrationHandler } from './cancel-migration/cancel-migration.handler';
import { CompleteCompensationStepController } from './complete-compensation-step/complete-compensation-step.controller';
import { CompleteCompensationStepHandler } from './complete-compensation-step/complete-compensation-step.handler';
import { ExpireMigrationController } from './expire-migration/expire-migration.controller';
import { ExpireMigrationHandler } from './expire-migration/expire-migration.handler';
import { FailCompensationStepController } from './fail-compensation-step/fail-compensation-step.controller';
import { FailCompensationStepHandler } from './fail-compensation-step/fail-compensation-step.handler';
import { FailMigrationController } from './fail-migration/fail-migration.controller';
import { FailMigrationHandler } from './fail-migration/fail-migration.handler';
import { MigrationSagaAggregate } from './migration-saga-aggregate';
import { MigrationSagaCommands } from './migration-saga-commands';
import { GetMigrationHandler } from './queries/get-migration.handler';
import { MigrationQueriesController } from './queries/migration-queries.controller';
import { ResolveCompensationFailureController } from './resolve-compensation-failure/resolve-compensation-failure.controller';
import { ResolveCompensationFailureHandler } from './resolve-compensation-failure/resolve-compensation-failure.handler';
import { StartMigrationController } from './start-migration/start-migration.controller';
import { StartMigrationHandler } from './start-migration/start-migration.handler';

/** Migration saga use cases: start, advance, cancel, fail, expire, compensation reports, operator resolution, reads. */
@Module({
  imports: [CqrsModule, ProcessManagersModule],
  controllers: [
    StartMigrationController,
    AdvanceMigrationController,
    CancelMigrationController,
    FailMigrationController,
    ExpireMigrationController,
    CompleteCompensationStepController,
    FailCompensationStepController,
    ResolveCompensationFailureController,
    MigrationQueriesController,
  ],
  providers: [
    MigrationSagaAggregate,
    MigrationSagaCommands,
    StartMigrationHandler,
    AdvanceMigrationHandler,
    CancelMigrationHandler,
    FailMigrationHandler,
    ExpireMigrationHandler,
    CompleteCompensationStepHandler,
    FailCompensationStepHandler,
    ResolveCompensationFailureHandler,
    GetMigrationHandler,
  ],
  exports: [MigrationSagaAggregate],
})
export class MigrationSagasModule {}
