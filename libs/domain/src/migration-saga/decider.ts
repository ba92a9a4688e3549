import type { Decider } from '../shared/decider';
import type { MigrationSagaCommand } from './commands';
import { decideMigrationSaga } from './decide';
import type { MigrationSagaEvent } from './events';
import { evolveMigrationSaga } from './evolve';
import { MIGRATION_SAGA_POLICY } from './policy';
import { initialMigrationSagaState, type MigrationSagaState } from './state';

/** The migration saga aggregate, enforcing the shipped saga policy. */
export const migrationSagaDecider: Decider<MigrationSagaCommand, MigrationSagaEvent, MigrationSagaState> = {
  decide: (command, state) => decideMigrationSaga(command, state, MIGRATION_SAGA_POLICY),
  evolve: evolveMigrationSaga,
  initialState: initialMigrationSagaState,
};
