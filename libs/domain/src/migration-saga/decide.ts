import { isDigest } from '@corridor/protocol';
import { refuse } from '../shared/domain-error';
import { requireDigest, requireOneOf, requireSameId, requireText } from '../shared/fields';
import { addSeconds, compareTimestamps, requireCommandTime, requireTimestamp } from '../shared/time';
import type {
  AdvanceMigration,
  CompleteCompensationStep,
  FailCompensationStep,
  MigrationSagaCommand,
  ResolveCompensationFailure,
  StartMigration,
} from './commands';
import {
  MIGRATION_SAGA_EVENT_TYPES as E,
  MIGRATION_STEP_COMPENSATED_KIND,
  MIGRATION_STEP_COMPLETED_KIND,
  type MigrationSagaEvent,
} from './events';
import { CANCELLABLE_PHASES, FORWARD_PHASES, isForwardPhase, nextPhase, type ForwardPhase } from './phases';
import { compensationPlan, retryDelaySeconds, type MigrationSagaPolicy } from './policy';
import { currentCompensationStep, type CompensationProgress, type CompensationTrigger, type MigrationSagaState } from './state';

type Saga = MigrationSagaState & { migration_id: string; corridor_id: string; asset_id: string; deadline: string };

export function decideMigrationSaga(command: MigrationSagaCommand, state: MigrationSagaState, policy: MigrationSagaPolicy): MigrationSagaEvent[] {
  // A redelivered report of a step already undone carries its original, older time: still a no-op, not a refusal.
  if (isReportOfUndoneStep(command, state)) return [];
  const at = requireCommandTime(command.at, state.updated_at);
  if (command.type === 'StartMigration') return start(command, state, at);
  if (state.migration_id === null) refuse('not-found', `the migration saga does not exist yet; ${command.type} needs StartMigration first`);
  const saga = state as Saga;
  requireSameId(command.data?.migration_id, saga.migration_id, 'migration_id');
  switch (command.type) {
    case 'AdvanceMigration':
      return advance(command, saga, at);
    case 'CancelMigration': {
      const phase = saga.phase;
      if (!(CANCELLABLE_PHASES as readonly unknown[]).includes(phase)) {
        refuse('transition-not-allowed', `migration ${saga.migration_id} is ${phase}; cancellation is possible only in ${CANCELLABLE_PHASES.join(', ')}`);
      }
      return startCompensation(saga, at, 'cancelled', requireText(command.data.reason, 'reason'), phase as ForwardPhase, policy);
    }
    case 'FailMigration': {
      const phase = requireForwardPhase(saga, 'fail');
      return startCompensation(saga, at, 'failed', requireText(command.data.reason, 'reason'), phase, policy);
    }
    case 'ExpireMigration': {
      const phase = requireForwardPhase(saga, 'expire');
      if (compareTimestamps(at, saga.deadline) < 0) {
        refuse('deadline-not-reached', `migration ${saga.migration_id} has until ${saga.deadline}; it cannot expire at ${at}`);
      }
      return startCompensation(saga, at, 'expired', `deadline ${saga.deadline} passed in ${phase}`, phase, policy);
    }
    case 'CompleteCompensationStep':
      return completeStep(command, saga, at);
    case 'FailCompensationStep':
      return failStep(command, saga, at, policy);
    case 'ResolveCompensationFailure':
      return resolveFailure(command, saga, at);
    default:
      return refuse('invalid-command', `unknown migration saga command ${JSON.stringify((command as { type: unknown }).type)}`);
  }
}

function isReportOfUndoneStep(command: MigrationSagaCommand, state: MigrationSagaState): boolean {
  if (command.type !== 'CompleteCompensationStep' && command.type !== 'FailCompensationStep') return false;
  const step = command.data?.step;
  return state.migration_id !== null && command.data.migration_id === state.migration_id && (state.compensation?.done.includes(step) ?? false);
}

function start(command: StartMigration, state: MigrationSagaState, at: string): MigrationSagaEvent[] {
  if (state.migration_id !== null) refuse('already-exists', `migration ${state.migration_id} already exists (${state.phase})`);
  const d = command.data ?? ({} as StartMigration['data']);
  const source = requireText(d.source_jurisdiction, 'source_jurisdiction');
  const destination = requireText(d.destination_jurisdiction, 'destination_jurisdiction');
  if (source === destination) refuse('invalid-command', `source and destination jurisdiction are both ${source}`);
  if (d.deadline === undefined) refuse('invalid-command', 'deadline is mandatory: a migration without one could stay half-done for ever');
  requireTimestamp(d.deadline, 'deadline');
  if (compareTimestamps(d.deadline, at) <= 0) refuse('invalid-command', `deadline ${d.deadline} must be after the start ${at}`);
  return [
    {
      type: E.started,
      data: {
        migration_id: requireText(d.migration_id, 'migration_id'),
        at,
        corridor_id: requireText(d.corridor_id, 'corridor_id'),
        corridor_genesis_root: requireDigest(d.corridor_genesis_root, 'corridor_genesis_root'),
        asset_id: requireText(d.asset_id, 'asset_id'),
        source_jurisdiction: source,
        destination_jurisdiction: destination,
        deadline: d.deadline,
        phase: 'initiated',
      },
    },
  ];
}

function requireForwardPhase(saga: Saga, what: string): ForwardPhase {
  if (!isForwardPhase(saga.phase)) {
    refuse('transition-not-allowed', `migration ${saga.migration_id} is ${saga.phase}; only a migration in ${FORWARD_PHASES.join(', ')} can ${what}`);
  }
  return saga.phase;
}

function requireEvidenceDigest(value: unknown, what: string): string {
  if (value === undefined || value === null) refuse('evidence-missing', `${what} needs evidence_digest_sha256, the digest of its evidence bundle`);
  if (!isDigest(value)) refuse('invalid-evidence', `evidence_digest_sha256 must be 64 lowercase hex, got ${JSON.stringify(value)}`);
  return value;
}

function advance(command: AdvanceMigration, saga: Saga, at: string): MigrationSagaEvent[] {
  const phase = requireForwardPhase(saga, 'advance');
  const from = requireOneOf(command.data.from_phase, FORWARD_PHASES, 'from_phase');
  if (from !== phase) refuse('transition-not-allowed', `migration ${saga.migration_id} is in ${phase}, not ${from}`);
  if (compareTimestamps(at, saga.deadline) >= 0) {
    refuse('deadline-passed', `migration ${saga.migration_id} had until ${saga.deadline}; it must be expired and undone, not advanced`);
  }
  const evidence = requireEvidenceDigest(command.data.evidence_digest_sha256, `completing ${phase}`);
  const to = nextPhase(phase);
  const data = {
    migration_id: saga.migration_id,
    at,
    from_phase: phase,
    to_phase: to,
    evidence_digest_sha256: evidence,
    corridor_transition: {
      corridor_id: saga.corridor_id,
      kind: MIGRATION_STEP_COMPLETED_KIND,
      payload: { migration_id: saga.migration_id, asset_id: saga.asset_id, step: phase, evidence_digest_sha256: evidence },
    },
  } as const;
  return [to === 'completed' ? { type: E.completed, data } : { type: E.phaseAdvanced, data }];
}

function ended(saga: Saga, at: string, trigger: CompensationTrigger, steps: string[]): MigrationSagaEvent {
  return { type: trigger === 'cancelled' ? E.cancelled : E.compensated, data: { migration_id: saga.migration_id, at, trigger, steps } };
}

function startCompensation(
  saga: Saga,
  at: string,
  trigger: CompensationTrigger,
  reason: string,
  reached: ForwardPhase,
  policy: MigrationSagaPolicy,
): MigrationSagaEvent[] {
  const plan = compensationPlan(reached, policy);
  const started: MigrationSagaEvent = {
    type: E.compensationStarted,
    data: { migration_id: saga.migration_id, at, trigger, reason, reached_phase: reached, plan },
  };
  return plan.length === 0 ? [started, ended(saga, at, trigger, plan)] : [started];
}

/**
 * Common checks of a compensation step report. (A report of a step already undone never gets here: reports are
 * idempotent, so a duplicate — a retried message, a second worker — is a no-op, see `isReportOfUndoneStep`.)
 */
function stepUnderWay(saga: Saga, step: unknown, at: string): CompensationProgress {
  const name = requireText(step, 'step');
  const c = saga.compensation;
  if (c === null) refuse('transition-not-allowed', `migration ${saga.migration_id} is ${saga.phase}; nothing is being compensated`);
  if (!c.plan.includes(name)) refuse('invalid-command', `step ${name} is not in the compensation plan (${c.plan.join(', ')})`);
  const current = currentCompensationStep(c);
  if (saga.phase === 'compensation_failed') {
    refuse('transition-not-allowed', `migration ${saga.migration_id} is compensation_failed on ${current} after ${c.failures} failures; an operator must resolve it`);
  }
  if (name !== current) refuse('transition-not-allowed', `compensation steps run in order; the next one is ${current}, not ${name}`);
  if (c.retry_at !== null && compareTimestamps(at, c.retry_at) < 0) {
    refuse('retry-not-due', `step ${name} failed ${c.failures} time(s); it may be tried again at or after ${c.retry_at}, not at ${at}`);
  }
  return c;
}

function stepCompleted(saga: Saga, c: CompensationProgress, at: string, evidence: string, operator: string | null): MigrationSagaEvent[] {
  const step = currentCompensationStep(c)!;
  const events: MigrationSagaEvent[] = [
    {
      type: E.compensationStepCompleted,
      data: {
        migration_id: saga.migration_id,
        at,
        step,
        attempt: c.failures + 1,
        operator,
        evidence_digest_sha256: evidence,
        corridor_transition: {
          corridor_id: saga.corridor_id,
          kind: MIGRATION_STEP_COMPENSATED_KIND,
          payload: { migration_id: saga.migration_id, asset_id: saga.asset_id, step, evidence_digest_sha256: evidence },
        },
      },
    },
  ];
  if (c.done.length + 1 === c.plan.length) events.push(ended(saga, at, c.trigger, c.plan));
  return events;
}

function completeStep(command: CompleteCompensationStep, saga: Saga, at: string): MigrationSagaEvent[] {
  const c = stepUnderWay(saga, command.data.step, at);
  const evidence = requireEvidenceDigest(command.data.evidence_digest_sha256, `compensation step ${command.data.step}`);
  return stepCompleted(saga, c, at, evidence, null);
}

function failStep(command: FailCompensationStep, saga: Saga, at: string, policy: MigrationSagaPolicy): MigrationSagaEvent[] {
  const c = stepUnderWay(saga, command.data.step, at);
  const error = requireText(command.data.error, 'error');
  const step = currentCompensationStep(c)!;
  const attempt = c.failures + 1;
  const escalate = attempt >= policy.maxAttempts;
  const failed: MigrationSagaEvent = {
    type: E.compensationStepFailed,
    data: { migration_id: saga.migration_id, at, step, attempt, error, retry_at: escalate ? null : addSeconds(at, retryDelaySeconds(attempt, policy)) },
  };
  if (!escalate) return [failed];
  return [failed, { type: E.compensationEscalated, data: { migration_id: saga.migration_id, at, step, attempts: attempt, last_error: error } }];
}

function resolveFailure(command: ResolveCompensationFailure, saga: Saga, at: string): MigrationSagaEvent[] {
  const c = saga.compensation;
  if (saga.phase !== 'compensation_failed' || c === null) {
    refuse('transition-not-allowed', `migration ${saga.migration_id} is ${saga.phase}; only a compensation_failed saga needs an operator`);
  }
  const operator = requireText(command.data.operator, 'operator');
  const resolution = requireOneOf(command.data.resolution, ['compensated_manually', 'retry'] as const, 'resolution');
  const note = requireText(command.data.note, 'note');
  const step = currentCompensationStep(c)!;
  const resolved: MigrationSagaEvent = {
    type: E.compensationFailureResolved,
    data: { migration_id: saga.migration_id, at, step, operator, resolution, note },
  };
  if (resolution === 'retry') return [resolved];
  const evidence = requireEvidenceDigest(command.data.evidence_digest_sha256, `undoing ${step} by hand`);
  return [resolved, ...stepCompleted(saga, c, at, evidence, operator)];
}
