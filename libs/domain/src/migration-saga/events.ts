import type { DomainEvent } from '../shared/decider';
import type { ForwardPhase } from './phases';
import type { CompensationTrigger } from './state';

/** Stable event names of the migration saga (hashed into its receipts: never rename one). */
export const MIGRATION_SAGA_EVENT_TYPES = {
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

/** The corridor transitions a saga asks the node to append to the corridor's chain. */
export const MIGRATION_STEP_COMPLETED_KIND = 'migration.step.completed.v1';
export const MIGRATION_STEP_COMPENSATED_KIND = 'migration.step.compensated.v1';

/** A transition the node's process manager must record in the corridor (RecordCorridorTransition). */
export interface MigrationCorridorTransition {
  corridor_id: string;
  kind: typeof MIGRATION_STEP_COMPLETED_KIND | typeof MIGRATION_STEP_COMPENSATED_KIND;
  payload: {
    migration_id: string;
    asset_id: string;
    step: string;
    evidence_digest_sha256: string;
  };
}

export interface MigrationStartedData {
  migration_id: string;
  at: string;
  corridor_id: string;
  corridor_genesis_root: string;
  asset_id: string;
  source_jurisdiction: string;
  destination_jurisdiction: string;
  deadline: string;
  phase: 'initiated';
}

export interface PhaseAdvancedData {
  migration_id: string;
  at: string;
  from_phase: ForwardPhase;
  to_phase: ForwardPhase | 'completed';
  evidence_digest_sha256: string;
  corridor_transition: MigrationCorridorTransition;
}

export interface CompensationStartedData {
  migration_id: string;
  at: string;
  trigger: CompensationTrigger;
  reason: string;
  reached_phase: ForwardPhase;
  plan: string[];
}

export interface CompensationStepCompletedData {
  migration_id: string;
  at: string;
  step: string;
  /** 1 for a first attempt; failed attempts before it count too. */
  attempt: number;
  /** Set when an operator undid the step by hand. */
  operator: string | null;
  evidence_digest_sha256: string;
  corridor_transition: MigrationCorridorTransition;
}

export interface CompensationStepFailedData {
  migration_id: string;
  at: string;
  step: string;
  attempt: number;
  error: string;
  /** When the step may be tried again; null when this failure escalates to an operator. */
  retry_at: string | null;
}

export interface CompensationEscalatedData {
  migration_id: string;
  at: string;
  step: string;
  attempts: number;
  last_error: string;
}

export interface CompensationFailureResolvedData {
  migration_id: string;
  at: string;
  step: string;
  operator: string;
  resolution: 'compensated_manually' | 'retry';
  note: string;
}

export interface SagaEndedData {
  migration_id: string;
  at: string;
  trigger: CompensationTrigger;
  steps: string[];
}

type T = typeof MIGRATION_SAGA_EVENT_TYPES;
export type MigrationSagaEvent =
  | DomainEvent<T['started'], MigrationStartedData>
  | DomainEvent<T['phaseAdvanced'], PhaseAdvancedData>
  | DomainEvent<T['completed'], PhaseAdvancedData>
  | DomainEvent<T['compensationStarted'], CompensationStartedData>
  | DomainEvent<T['compensationStepCompleted'], CompensationStepCompletedData>
  | DomainEvent<T['compensationStepFailed'], CompensationStepFailedData>
  | DomainEvent<T['compensationEscalated'], CompensationEscalatedData>
  | DomainEvent<T['compensationFailureResolved'], CompensationFailureResolvedData>
  | DomainEvent<T['compensated'], SagaEndedData>
  | DomainEvent<T['cancelled'], SagaEndedData>;
