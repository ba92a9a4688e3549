import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MigrationSagaCommands } from '../migration-saga-commands';
import { CancelMigrationCommand } from './cancel-migration.command';

@CommandHandler(CancelMigrationCommand)
export class CancelMigrationHandler implements ICommandHandler<CancelMigrationCommand> {
  constructor(private readonly sagas: MigrationSagaCommands) {}

  execute(c: CancelMigrationCommand) {
    return this.sagas.run(c.migrationId, 'CancelMigration', { reason: c.reason });
  }
}
