import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MigrationSagaCommands } from '../migration-saga-commands';
import { FailMigrationCommand } from './fail-migration.command';

@CommandHandler(FailMigrationCommand)
export class FailMigrationHandler implements ICommandHandler<FailMigrationCommand> {
  constructor(private readonly sagas: MigrationSagaCommands) {}

  execute(c: FailMigrationCommand) {
    return this.sagas.run(c.migrationId, 'FailMigration', { reason: c.reason });
  }
}
