/**
 * The stable event and transition names the projections read (they are hashed into receipts and never
 * renamed; test/event-names.spec.ts checks them against the domain library's own constants).
 */
export const CORRIDOR_EVENTS = {
  created: 'corridor.created.v1',
  submitted: 'corridor.submitted.v1',
  activated: 'corridor.activated.v1',
  halted: 'corridor.halted.v1',
  suspended: 'corridor.suspended.v1',
  resumedFromHalt: 'corridor.resumed-from-halt.v1',
  resumedFromSuspension: 'corridor.resumed-from-suspension.v1',
  deprecated: 'corridor.deprecated.v1',
  transitionRecorded: 'corridor.transition-recorded.v1',
} as const;

export const MIGRATION_EVENTS = {
  started: 'migration-saga.started.v1',
  phaseAdvanced: 'migration-saga.phase-advanced.v1',
  completed: 'migration-saga.completed.v1',
  compensationStarted: 'migration-saga.compensation-started.v1',
  compensationStepCompleted: 'migration-saga.compensation-step-completed.v1',
  compensationStepFailed: 'migration-saga.compensation-step-failed.v1',
  compensationEscalated: 'migration-saga.compensation-escalated.v1',
  compensationFailureResolved: 'migration-saga.compensation-failure-resolved.v1',
  compensated: 'migration-saga.compensated.v1',
  cancelled: 'migration-saga.cancelled.v1',
} as const;

export const WATCHER_EVENTS = {
  posted: 'watcher-bond.posted.v1',
  attestationRecorded: 'watcher-bond.attestation-recorded.v1',
  slashed: 'watcher-bond.slashed.v1',
  banned: 'watcher-bond.banned.v1',
  toppedUp: 'watcher-bond.topped-up.v1',
  unbondingStarted: 'watcher-bond.unbonding-started.v1',
  withdrawn: 'watcher-bond.withdrawn.v1',
} as const;

export const DISPUTE_EVENTS = {
  filed: 'dispute.filed.v1',
  reviewStarted: 'dispute.review-started.v1',
  evidenceCollectionOpened: 'dispute.evidence-collection-opened.v1',
  evidenceSubmitted: 'dispute.evidence-submitted.v1',
  hearingScheduled: 'dispute.hearing-scheduled.v1',
  rulingIssued: 'dispute.ruling-issued.v1',
  rulingEnforced: 'dispute.ruling-enforced.v1',
  closed: 'dispute.closed.v1',
  settlementConsented: 'dispute.settlement-consented.v1',
  settled: 'dispute.settled.v1',
  dismissed: 'dispute.dismissed.v1',
  escrowFunded: 'dispute.escrow-funded.v1',
  escrowReleased: 'dispute.escrow-released.v1',
  escrowForfeited: 'dispute.escrow-forfeited.v1',
} as const;

/** Corridor transition kinds the tensor reads (families of governance/transition-kinds.json). */
export const COMPLIANCE_ATTESTATION_FAMILY = 'compliance.attestation.';
export const SANCTIONS_FAMILY = 'sanctions.';
export const LICENCE_FAMILY = 'licence.';
export const ARBITRATION_ENFORCEMENT_FAMILY = 'arbitration.enforcement.';
export const MIGRATION_STEP_FAMILY = 'migration.step.';
