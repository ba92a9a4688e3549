import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { migrationSaga } from '@corridor/domain';
import { MigrationSagaCommands } from '../migration-saga-commands';
import { AdvanceMigrationCommand } from './advance-migration.command';

@CommandHandler(AdvanceMigrationCommand)
export class AdvanceMigrationHandler implements ICommandHandler<AdvanceMigrationCommand> {
  constructor(private readonly sagas: MigrationSagaCommands) {}

  execute(c: AdvanceMigrationCommand) {
    return this.sagas.run(c.migrationId, 'AdvanceMigration', {
      from_phase: c.fromPhase as migrationSaga.ForwardPhase,
      evidence_digest_sha256: c.evidenceDigestSha256 as string,
    });
  }
}
