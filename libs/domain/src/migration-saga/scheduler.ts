import { compareTimestamps, requireTimestamp } from '../shared/time';
import type { ExpireMigration } from './commands';
import { isForwardPhase, TERMINAL_PHASES } from './phases';
import { currentCompensationStep, type MigrationSagaState } from './state';

/** What the node's scheduler must do about one saga. */
export type SchedulerInstruction =
  /** Nothing, ever again (or not yet started). */
  | { readonly do: 'nothing'; readonly why: string }
  /** Nothing now; look again at `until`, when `then` becomes due. */
  | { readonly do: 'wait'; readonly until: string; readonly then: 'expire' | 'attempt-compensation-step' }
  /** Send this command now. */
  | { readonly do: 'expire'; readonly command: ExpireMigration }
  /** Run the side effect of this compensation step now, then report it (Complete/FailCompensationStep). */
  | { readonly do: 'attempt-compensation-step'; readonly step: string; readonly attempt: number }
  /** Alert an operator: the saga waits for ResolveCompensationFailure. */
  | { readonly do: 'await-operator'; readonly step: string; readonly failures: number; readonly last_error: string | null };

/**
 * Pure: given a saga and the current time, what the scheduler must do next. The node calls it for every open
 * saga on start-up and on a timer, so a restart never loses a deadline or a retry.
 */
export function nextSchedulerInstruction(state: MigrationSagaState, now: string): SchedulerInstruction {
  requireTimestamp(now, 'now');
  const phase = state.phase;
  if (state.migration_id === null || phase === null) return { do: 'nothing', why: 'the saga has not started' };
  if (TERMINAL_PHASES.includes(phase)) return { do: 'nothing', why: `the saga is ${phase}` };
  if (isForwardPhase(phase)) {
    const deadline = state.deadline!;
    if (compareTimestamps(now, deadline) < 0) return { do: 'wait', until: deadline, then: 'expire' };
    return { do: 'expire', command: { type: 'ExpireMigration', at: now, data: { migration_id: state.migration_id } } };
  }
  const c = state.compensation!;
  const step = currentCompensationStep(c)!;
  if (phase === 'compensation_failed') return { do: 'await-operator', step, failures: c.failures, last_error: c.last_error };
  if (c.retry_at !== null && compareTimestamps(now, c.retry_at) < 0) return { do: 'wait', until: c.retry_at, then: 'attempt-compensation-step' };
  return { do: 'attempt-compensation-step', step, attempt: c.failures + 1 };
}
