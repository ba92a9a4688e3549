import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import type { Ed25519KeyPair } from '@corridor/protocol';
import type { NodeConfig } from './config/node-config';
import { CorridorsModule } from './corridors/corridors.module';
import { DisputesModule } from './disputes/disputes.module';
import { HealthController } from './health.controller';
import { ProblemFilter } from './http/problem.filter';
import { dtoValidationPipe } from './http/validation';
import { LedgerModule } from './infrastructure/ledger.module';
import { MigrationSagasModule } from './migration-sagas/migration-sagas.module';
import { ProcessManagersModule } from './process-managers/process-managers.module';
import { SchedulerModule } from './scheduler/scheduler.module';
import { WatcherBondsModule } from './watcher-bonds/watcher-bonds.module';
import { ProjectionsModule } from './projections/projections.module';
import { RegulatorModule } from './regulator/regulator.module';
import { ConsoleModule } from './console/console.module';
import { AdminModule } from './admin/admin.module';
import { PeeringModule } from './peering/peering.module';
import { WatchersModule } from './watchers/watchers.module';
import { SecurityModule } from './security/security.module';

/** The jurisdiction node: the ledger ports (global) and one feature module per aggregate. */
@Module({})
export class AppModule {
  static register(config: NodeConfig, key: Ed25519KeyPair): DynamicModule {
    return {
      module: AppModule,
      imports: [CqrsModule.forRoot(), LedgerModule.register(config, key), CorridorsModule, MigrationSagasModule, WatcherBondsModule, DisputesModule, ProcessManagersModule, SchedulerModule, ProjectionsModule, RegulatorModule, ConsoleModule, AdminModule, PeeringModule, WatchersModule, SecurityModule],
      controllers: [HealthController],
      providers: [
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: dtoValidationPipe },
      ],
    };
  }
}
