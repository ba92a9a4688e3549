import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CorridorFacts } from '../../process-managers/corridor-facts';
import { MigrationSagaCommands } from '../migration-saga-commands';
import { StartMigrationCommand } from './start-migration.command';

@CommandHandler(StartMigrationCommand)
export class StartMigrationHandler implements ICommandHandler<StartMigrationCommand> {
  constructor(
    private readonly sagas: MigrationSagaCommands,
    private readonly corridors: CorridorFacts,
  ) {}

  async execute(c: StartMigrationCommand) {
    // The corridor instance the saga is bound to: its genesis root, from this node's own chain. A saga that exists
    // already is refused by the decider (already-exists), whatever its corridor has become since.
    const existing = (await this.sagas.view(c.migrationId)).started;
    const genesis = existing ? existing.corridor_genesis_root : await this.corridors.genesisRootOfAcceptingCorridor(c.corridorId);
    return this.sagas.run(c.migrationId, 'StartMigration', {
      corridor_id: c.corridorId,
      corridor_genesis_root: genesis,
      asset_id: c.assetId,
      source_jurisdiction: c.sourceJurisdiction,
      destination_jurisdiction: c.destinationJurisdiction,
      deadline: c.deadline,
    });
  }
}
