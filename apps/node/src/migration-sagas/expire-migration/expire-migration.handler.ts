import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MigrationSagaCommands } from '../migration-saga-commands';
import { ExpireMigrationCommand } from './expire-migration.command';

@CommandHandler(ExpireMigrationCommand)
export class ExpireMigrationHandler implements ICommandHandler<ExpireMigrationCommand> {
  constructor(private readonly sagas: MigrationSagaCommands) {}

  execute(c: ExpireMigrationCommand) {
    return this.sagas.run(c.migrationId, 'ExpireMigration', {});
  }
}
