import { corridor, dispute, migrationSaga, watcherBond } from '@corridor/domain';

/**
 * The stable event names the projections read: the domain library's own constants, one source of truth (they are
 * hashed into receipts and never renamed).
 */
export const CORRIDOR_EVENTS = corridor.CORRIDOR_EVENT_TYPES;
export const MIGRATION_EVENTS = migrationSaga.MIGRATION_SAGA_EVENT_TYPES;
export const WATCHER_EVENTS = watcherBond.WATCHER_BOND_EVENT_TYPES;
export const DISPUTE_EVENTS = dispute.DISPUTE_EVENT_TYPES;

/** Corridor transition kinds the tensor reads (families of governance/transition-kinds.json). */
export const COMPLIANCE_ATTESTATION_FAMILY = 'compliance.attestation.';
export const SANCTIONS_FAMILY = 'sanctions.';
export const LICENCE_FAMILY = 'licence.';
export const ARBITRATION_ENFORCEMENT_FAMILY = 'arbitration.enforcement.';
export const MIGRATION_STEP_FAMILY = 'migration.step.';
