import { FORWARD_PHASES, isForwardPhase, type ForwardPhase } from './phases';

export interface CompensationStepRule {
  readonly step: string;
  /** The forward phase whose effect the step undoes. */
  readonly undoes: ForwardPhase;
}

export interface MigrationSagaPolicy {
  readonly compensationSteps: readonly CompensationStepRule[];
  readonly maxAttempts: number;
  readonly initialDelaySeconds: number;
  readonly maxDelaySeconds: number;
}

/** Validates the saga policy document (`@corridor/governance/migration-saga.policy.json`); throws naming the problem. */
export function loadMigrationSagaPolicy(doc: unknown): MigrationSagaPolicy {
  const bad = (why: string): never => {
    throw new Error(`migration saga policy governance file: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad('must be a JSON object');
  const d = doc as Record<string, unknown>;
  if (!Array.isArray(d.compensation_steps)) return bad('compensation_steps must be a list');
  const steps = d.compensation_steps.map((s: unknown, i: number) => {
    const e = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    if (typeof e.step !== 'string' || !/^[a-z][a-z0-9_]*$/.test(e.step)) return bad(`compensation_steps[${i}].step must be a snake_case name`);
    if (!isForwardPhase(e.undoes)) return bad(`compensation_steps[${i}].undoes must be one of ${FORWARD_PHASES.join(', ')}`);
    return { step: e.step, undoes: e.undoes };
  });
  if (new Set(steps.map((s) => s.step)).size !== steps.length) bad('a compensation step is listed twice');
  const retry = (typeof d.compensation_retry === 'object' && d.compensation_retry !== null ? d.compensation_retry : {}) as Record<string, unknown>;
  const positive = (v: unknown, field: string): number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : bad(`compensation_retry.${field} must be a positive integer`);
  const policy = {
    compensationSteps: steps,
    maxAttempts: positive(retry.max_attempts, 'max_attempts'),
    initialDelaySeconds: positive(retry.initial_delay_seconds, 'initial_delay_seconds'),
    maxDelaySeconds: positive(retry.max_delay_seconds, 'max_delay_seconds'),
  };
  if (policy.maxDelaySeconds < policy.initialDelaySeconds) bad('compensation_retry.max_delay_seconds is below initial_delay_seconds');
  return policy;
}

export const MIGRATION_SAGA_POLICY_DOCUMENT: unknown = require('@corridor/governance/migration-saga.policy.json');
export const MIGRATION_SAGA_POLICY: MigrationSagaPolicy = loadMigrationSagaPolicy(MIGRATION_SAGA_POLICY_DOCUMENT);

/**
 * The compensation plan for a saga that reached `reached`: every step undoing a phase at or before it, latest
 * phase first (so the asset is unwound in the reverse order it was moved).
 */
export function compensationPlan(reached: ForwardPhase, policy: MigrationSagaPolicy): string[] {
  const upTo = FORWARD_PHASES.indexOf(reached);
  return policy.compensationSteps
    .filter((s) => FORWARD_PHASES.indexOf(s.undoes) <= upTo)
    .sort((a, b) => FORWARD_PHASES.indexOf(b.undoes) - FORWARD_PHASES.indexOf(a.undoes))
    .map((s) => s.step);
}

/** Delay before retrying a step that has now failed `failures` times: exponential, capped. */
export function retryDelaySeconds(failures: number, policy: MigrationSagaPolicy): number {
  const exponent = Math.min(failures - 1, 40);
  return Math.min(policy.initialDelaySeconds * 2 ** exponent, policy.maxDelaySeconds);
}
