import fc from 'fast-check';
import { digestOf } from '@corridor/protocol';
import { DomainError } from '../shared/domain-error';
import { addSeconds } from '../shared/time';
import { minute } from '../testing/corridor-fixtures';
import { MIGRATION_ID, evidence, startMigration } from '../testing/migration-saga-fixtures';
import type { MigrationSagaCommand } from './commands';
import { migrationSagaDecider } from './decider';
import { FORWARD_PHASES, TERMINAL_PHASES, type SagaPhase } from './phases';
import { MIGRATION_SAGA_POLICY } from './policy';
import { nextSchedulerInstruction } from './scheduler';
import { currentCompensationStep, type MigrationSagaState } from './state';

const ALL_PHASES: SagaPhase[] = [...FORWARD_PHASES, 'compensating', 'compensation_failed', 'completed', 'compensated', 'cancelled'];
const KINDS = ['start', 'advance', 'cancel', 'fail', 'expire', 'complete-step', 'fail-step', 'resolve-retry', 'resolve-manual', 'scheduler'] as const;
type Step = { kind: (typeof KINDS)[number]; wrong: boolean; advanceSeconds: number };

/** The command a step stands for against the current state; `wrong` names a phase or step the saga is not at. */
function build(step: Step, state: MigrationSagaState, at: string): MigrationSagaCommand | null {
  const base = { migration_id: MIGRATION_ID };
  const phase = state.phase;
  const currentStep = state.compensation ? currentCompensationStep(state.compensation) ?? 'none' : 'none';
  const stepName = step.wrong ? state.compensation?.plan.at(-1) ?? 'release_fee_holds' : currentStep;
  switch (step.kind) {
    case 'start':
      return { ...startMigration(at), data: { ...startMigration(at).data, deadline: addSeconds(at, 6 * 3600) } };
    case 'advance': {
      const from = step.wrong ? 'transit' : FORWARD_PHASES.find((p) => p === phase) ?? 'initiated';
      return { type: 'AdvanceMigration', at, data: { ...base, from_phase: from, evidence_digest_sha256: evidence(from) } };
    }
    case 'cancel':
      return { type: 'CancelMigration', at, data: { ...base, reason: 'withdrawn' } };
    case 'fail':
      return { type: 'FailMigration', at, data: { ...base, reason: 'refused' } };
    case 'expire':
      return { type: 'ExpireMigration', at, data: base };
    case 'complete-step':
      return { type: 'CompleteCompensationStep', at, data: { ...base, step: stepName, evidence_digest_sha256: evidence(stepName) } };
    case 'fail-step': {
      // A well-behaved worker reports its failure when the retry was due; a `wrong` one may report too early.
      const retryAt = state.compensation?.retry_at;
      const when = !step.wrong && retryAt && Date.parse(retryAt) > Date.parse(at) ? retryAt : at;
      return { type: 'FailCompensationStep', at: when, data: { ...base, step: stepName, error: 'unavailable' } };
    }
    case 'resolve-retry':
      return { type: 'ResolveCompensationFailure', at, data: { ...base, operator: 'operator:alice', resolution: 'retry', note: 'try again' } };
    case 'resolve-manual':
      return {
        type: 'ResolveCompensationFailure',
        at,
        data: { ...base, operator: 'operator:alice', resolution: 'compensated_manually', note: 'done by hand', evidence_digest_sha256: evidence(currentStep) },
      };
    case 'scheduler': {
      const instruction = nextSchedulerInstruction(state, at);
      if (instruction.do === 'expire') return instruction.command;
      if (instruction.do === 'attempt-compensation-step') {
        return { type: 'CompleteCompensationStep', at, data: { ...base, step: instruction.step, evidence_digest_sha256: evidence(instruction.step) } };
      }
      return null;
    }
  }
}

describe('migration saga properties', () => {
  it('random command sequences keep the saga consistent: known phases, plan prefix, terminal absorbing, retries never early, escalation at N', () => {
    // Weighted towards failing and retrying compensation steps, with mostly short time steps.
    const weights: Record<Step['kind'], number> = { start: 1, advance: 2, cancel: 1, fail: 1, expire: 1, 'complete-step': 2, 'fail-step': 12, 'resolve-retry': 1, 'resolve-manual': 1, scheduler: 1 };
    const kind = fc.oneof(...KINDS.map((k) => ({ weight: weights[k], arbitrary: fc.constant(k) })));
    const seconds = fc.oneof({ weight: 30, arbitrary: fc.integer({ min: 0, max: 300 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 * 3600 }) });
    const step = fc.record({ kind, wrong: fc.integer({ min: 0, max: 4 }).map((n) => n === 0), advanceSeconds: seconds });
    // A valid opening (start, some phases, then trouble) followed by random noise, so compensation gets explored.
    const script = fc.record({
      advances: fc.integer({ min: 0, max: FORWARD_PHASES.length }),
      trouble: fc.constantFrom<Step['kind']>('cancel', 'fail', 'expire', 'advance'),
      tail: fc.array(step, { maxLength: 80 }),
    });
    const reached = new Set<string>();
    fc.assert(
      fc.property(script, ({ advances, trouble, tail }) => {
        let state = migrationSagaDecider.initialState();
        let now = minute(0);
        const opening: Step[] = [
          { kind: 'start', wrong: false, advanceSeconds: 0 },
          ...Array.from({ length: advances }, (): Step => ({ kind: 'advance', wrong: false, advanceSeconds: 60 })),
          { kind: trouble, wrong: false, advanceSeconds: 60 },
        ];
        for (const s of [...opening, ...tail]) {
          now = addSeconds(now, s.advanceSeconds);
          const command = build(s, state, now);
          if (command === null) continue;
          now = command.at;
          let events;
          try {
            events = migrationSagaDecider.decide(command, state);
          } catch (e) {
            if (e instanceof DomainError) continue;
            throw e;
          }
          // The scheduler only ever hands out commands the decider accepts.
          if (s.kind === 'scheduler') expect(events.length).toBeGreaterThan(0);
          if (state.phase !== null && TERMINAL_PHASES.includes(state.phase)) expect(events).toEqual([]);
          for (const event of events) {
            digestOf(event.data);
            if (event.type === 'migration-saga.compensation-step-completed.v1' || event.type === 'migration-saga.compensation-step-failed.v1') {
              const retryAt = state.compensation?.retry_at;
              if (retryAt) expect(Date.parse(event.data.at)).toBeGreaterThanOrEqual(Date.parse(retryAt));
            }
            if (event.type === 'migration-saga.compensation-step-failed.v1') {
              expect(event.data.attempt).toBeLessThanOrEqual(MIGRATION_SAGA_POLICY.maxAttempts);
              expect(event.data.retry_at === null).toBe(event.data.attempt === MIGRATION_SAGA_POLICY.maxAttempts);
            }
            if (event.type === 'migration-saga.phase-advanced.v1' || event.type === 'migration-saga.completed.v1') {
              expect(Date.parse(event.data.at)).toBeLessThan(Date.parse(state.deadline!));
            }
            state = migrationSagaDecider.evolve(state, event);
            expect(ALL_PHASES).toContain(state.phase);
            reached.add(state.phase!);
            const c = state.compensation;
            if (c !== null) expect(c.plan.slice(0, c.done.length)).toEqual(c.done);
          }
        }
      }),
      { numRuns: 300 },
    );
    expect([...reached].sort()).toEqual([...ALL_PHASES].sort());
  });
});
