import type { DomainCommand } from '../shared/decider';
import type { ForwardPhase } from './phases';

/**
 * Starts a migration of `asset_id` from one jurisdiction to another over a corridor. `deadline` is mandatory:
 * a saga that has not completed by then is expired and undone. `corridor_genesis_root` names the corridor
 * instance (its chain) the saga's steps land in.
 */
export type StartMigration = DomainCommand<
  'StartMigration',
  {
    migration_id: string;
    corridor_id: string;
    corridor_genesis_root: string;
    asset_id: string;
    source_jurisdiction: string;
    destination_jurisdiction: string;
    deadline: string;
  }
>;

/** The phase `from_phase` finished; `evidence_digest_sha256` is the digest of its evidence bundle. */
export type AdvanceMigration = DomainCommand<'AdvanceMigration', { migration_id: string; from_phase: ForwardPhase; evidence_digest_sha256: string }>;

/** The parties withdraw before the asset leaves the source. */
export type CancelMigration = DomainCommand<'CancelMigration', { migration_id: string; reason: string }>;

/** A forward step failed for good (e.g. the destination refused the asset). */
export type FailMigration = DomainCommand<'FailMigration', { migration_id: string; reason: string }>;

/** Issued by the scheduler at or after the deadline. */
export type ExpireMigration = DomainCommand<'ExpireMigration', { migration_id: string }>;

export type CompleteCompensationStep = DomainCommand<'CompleteCompensationStep', { migration_id: string; step: string; evidence_digest_sha256: string }>;

export type FailCompensationStep = DomainCommand<'FailCompensationStep', { migration_id: string; step: string; error: string }>;

/**
 * An operator resolves a saga stuck in `compensation_failed`: either the stuck step was undone by hand
 * (`compensated_manually`, with the digest of what was done), or it should be tried again now (`retry`).
 */
export type ResolveCompensationFailure = DomainCommand<
  'ResolveCompensationFailure',
  { migration_id: string; operator: string; resolution: 'compensated_manually' | 'retry'; note: string; evidence_digest_sha256?: string }
>;

export type MigrationSagaCommand =
  | StartMigration
  | AdvanceMigration
  | CancelMigration
  | FailMigration
  | ExpireMigration
  | CompleteCompensationStep
  | FailCompensationStep
  | ResolveCompensationFailure;
