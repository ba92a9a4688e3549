import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { MigrationSagasModule } from '../migration-sagas/migration-sagas.module';
import { MigrationDeadlineScheduler } from './migration-deadline.scheduler';
import { OpenMigrationsController } from './open-migrations.controller';

/** The saga deadline scheduler (start-up and timer) and its work list. */
@Module({
  imports: [CqrsModule, MigrationSagasModule],
  controllers: [OpenMigrationsController],
  providers: [MigrationDeadlineScheduler],
  exports: [MigrationDeadlineScheduler],
})
export class SchedulerModule {}
