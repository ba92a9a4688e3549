import type { Versioned } from '../shared/decider';
import type { ForwardPhase, SagaPhase } from './phases';

export type CompensationTrigger = 'cancelled' | 'failed' | 'expired';

export interface CompensationProgress {
  trigger: CompensationTrigger;
  reason: string;
  /** The forward phase the saga had reached when compensation started. */
  reached_phase: ForwardPhase;
  /** Steps in the order they must run. */
  plan: string[];
  /** Steps already undone (a prefix of `plan`). */
  done: string[];
  /** Failures of the current step since it was last (re)started. */
  failures: number;
  /** The current step may be attempted again only at or after this time. */
  retry_at: string | null;
  last_error: string | null;
}

export interface MigrationSagaState extends Versioned {
  migration_id: string | null;
  corridor_id: string | null;
  asset_id: string | null;
  deadline: string | null;
  phase: SagaPhase | null;
  updated_at: string | null;
  compensation: CompensationProgress | null;
}

export function initialMigrationSagaState(): MigrationSagaState {
  return { version: 0, migration_id: null, corridor_id: null, asset_id: null, deadline: null, phase: null, updated_at: null, compensation: null };
}

/** The step compensation must run next, or null when none is left. */
export function currentCompensationStep(c: CompensationProgress): string | null {
  return c.plan[c.done.length] ?? null;
}
