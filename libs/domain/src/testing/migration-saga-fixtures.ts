import { sha256Hex } from '@corridor/protocol';
import { CORRIDOR_ID, minute } from './corridor-fixtures';

export const MIGRATION_ID = 'mig-20250301090000-0123456789abcdef';
export const ASSET_ID = 'asset:green-bond-2025-001';
export const CORRIDOR_GENESIS_ROOT = 'e'.repeat(64);
/** Ten hours after the start. */
export const DEADLINE = minute(600);

/** The digest of the (imaginary) evidence bundle of a phase or step. */
export const evidence = (name: string) => sha256Hex(`evidence of ${name}`);

export const startMigration = (at = minute(0)) => ({
  type: 'StartMigration' as const,
  at,
  data: {
    migration_id: MIGRATION_ID,
    corridor_id: CORRIDOR_ID,
    corridor_genesis_root: CORRIDOR_GENESIS_ROOT,
    asset_id: ASSET_ID,
    source_jurisdiction: 'ae-difc',
    destination_jurisdiction: 'kz-aifc',
    deadline: DEADLINE,
  },
});

/** The saga's events written out from the specification. */
export const sagaEvents = {
  started: (at = minute(0)) => ({
    type: 'migration-saga.started.v1' as const,
    data: {
      migration_id: MIGRATION_ID,
      at,
      corridor_id: CORRIDOR_ID,
      corridor_genesis_root: CORRIDOR_GENESIS_ROOT,
      asset_id: ASSET_ID,
      source_jurisdiction: 'ae-difc',
      destination_jurisdiction: 'kz-aifc',
      deadline: DEADLINE,
      phase: 'initiated' as const,
    },
  }),
  advanced: (from: string, to: string, at: string) => ({
    type: (to === 'completed' ? 'migration-saga.completed.v1' : 'migration-saga.phase-advanced.v1') as 'migration-saga.phase-advanced.v1',
    data: {
      migration_id: MIGRATION_ID,
      at,
      from_phase: from as never,
      to_phase: to as never,
      evidence_digest_sha256: evidence(from),
      corridor_transition: {
        corridor_id: CORRIDOR_ID,
        kind: 'migration.step.completed.v1' as const,
        payload: { migration_id: MIGRATION_ID, asset_id: ASSET_ID, step: from, evidence_digest_sha256: evidence(from) },
      },
    },
  }),
  compensationStarted: (trigger: 'cancelled' | 'failed' | 'expired', reason: string, reached: string, plan: string[], at: string) => ({
    type: 'migration-saga.compensation-started.v1' as const,
    data: { migration_id: MIGRATION_ID, at, trigger, reason, reached_phase: reached as never, plan },
  }),
  stepCompleted: (step: string, attempt: number, at: string, operator: string | null = null) => ({
    type: 'migration-saga.compensation-step-completed.v1' as const,
    data: {
      migration_id: MIGRATION_ID,
      at,
      step,
      attempt,
      operator,
      evidence_digest_sha256: evidence(step),
      corridor_transition: {
        corridor_id: CORRIDOR_ID,
        kind: 'migration.step.compensated.v1' as const,
        payload: { migration_id: MIGRATION_ID, asset_id: ASSET_ID, step, evidence_digest_sha256: evidence(step) },
      },
    },
  }),
  stepFailed: (step: string, attempt: number, at: string, retryAt: string | null, error = 'source registry unavailable') => ({
    type: 'migration-saga.compensation-step-failed.v1' as const,
    data: { migration_id: MIGRATION_ID, at, step, attempt, error, retry_at: retryAt },
  }),
  escalated: (step: string, attempts: number, at: string, lastError = 'source registry unavailable') => ({
    type: 'migration-saga.compensation-escalated.v1' as const,
    data: { migration_id: MIGRATION_ID, at, step, attempts, last_error: lastError },
  }),
  resolved: (step: string, resolution: 'compensated_manually' | 'retry', at: string, operator = 'operator:alice', note = 'registry restored') => ({
    type: 'migration-saga.compensation-failure-resolved.v1' as const,
    data: { migration_id: MIGRATION_ID, at, step, operator, resolution, note },
  }),
  ended: (trigger: 'cancelled' | 'failed' | 'expired', steps: string[], at: string) => ({
    type: (trigger === 'cancelled' ? 'migration-saga.cancelled.v1' : 'migration-saga.compensated.v1') as 'migration-saga.compensated.v1',
    data: { migration_id: MIGRATION_ID, at, trigger, steps },
  }),
};

/** Seconds after a fixture minute, as a domain timestamp. */
export function minuteAndSeconds(n: number, seconds: number): string {
  return new Date(Date.UTC(2025, 2, 1, 9, n, seconds)).toISOString().replace('.000Z', 'Z');
}
