import { rehydrate } from '../shared/decider';
import { minute } from '../testing/corridor-fixtures';
import { DEADLINE, MIGRATION_ID, minuteAndSeconds, sagaEvents as ev } from '../testing/migration-saga-fixtures';
import { migrationSagaDecider } from './decider';
import type { MigrationSagaEvent } from './events';
import { nextSchedulerInstruction } from './scheduler';

const saga = (...events: unknown[]) => rehydrate(migrationSagaDecider, events as MigrationSagaEvent[]);
const PLAN = ['recall_from_transit', 'unlock_source', 'void_attestations', 'release_fee_holds'];
const inTransit = [
  ev.started(),
  ev.advanced('initiated', 'compliance_check', minute(1)),
  ev.advanced('compliance_check', 'attestation_gathering', minute(2)),
  ev.advanced('attestation_gathering', 'source_lock', minute(3)),
  ev.advanced('source_lock', 'transit', minute(4)),
];
const compensating = [...inTransit, ev.compensationStarted('failed', 'destination refused the asset', 'transit', PLAN, minute(10))];

describe('what the scheduler must do next', () => {
  it('does nothing for a saga that has not started', () => {
    expect(nextSchedulerInstruction(migrationSagaDecider.initialState(), minute(0))).toEqual({ do: 'nothing', why: 'the saga has not started' });
  });

  it('waits for the deadline of a saga in progress', () => {
    expect(nextSchedulerInstruction(saga(...inTransit), minute(5))).toEqual({ do: 'wait', until: DEADLINE, then: 'expire' });
  });

  it('expires a saga in progress at or after its deadline', () => {
    for (const now of [DEADLINE, minute(700)]) {
      expect(nextSchedulerInstruction(saga(...inTransit), now)).toEqual({ do: 'expire', command: { type: 'ExpireMigration', at: now, data: { migration_id: MIGRATION_ID } } });
    }
  });

  it('and the expire command it hands out is accepted by the decider', () => {
    const state = saga(...inTransit);
    const instruction = nextSchedulerInstruction(state, DEADLINE);
    if (instruction.do !== 'expire') throw new Error('expected expire');
    const events = migrationSagaDecider.decide(instruction.command, state);
    expect(events.map((e) => e.type)).toEqual(['migration-saga.compensation-started.v1']);
  });

  it('runs the current compensation step at once when no retry is pending', () => {
    expect(nextSchedulerInstruction(saga(...compensating), minute(10))).toEqual({ do: 'attempt-compensation-step', step: 'recall_from_transit', attempt: 1 });
  });

  it('waits for retry_at after a failed attempt, then runs the next attempt', () => {
    const state = saga(...compensating, ev.stepFailed('recall_from_transit', 1, minute(11), minuteAndSeconds(11, 30)));
    expect(nextSchedulerInstruction(state, minuteAndSeconds(11, 10))).toEqual({ do: 'wait', until: minuteAndSeconds(11, 30), then: 'attempt-compensation-step' });
    expect(nextSchedulerInstruction(state, minuteAndSeconds(11, 30))).toEqual({ do: 'attempt-compensation-step', step: 'recall_from_transit', attempt: 2 });
  });

  it('moves on to the next step once one is done', () => {
    const state = saga(...compensating, ev.stepCompleted('recall_from_transit', 1, minute(11)));
    expect(nextSchedulerInstruction(state, minute(11))).toEqual({ do: 'attempt-compensation-step', step: 'unlock_source', attempt: 1 });
  });

  it('alerts an operator when compensation is stuck', () => {
    const state = saga(...compensating, ev.stepFailed('recall_from_transit', 5, minute(19), null), ev.escalated('recall_from_transit', 5, minute(19)));
    expect(nextSchedulerInstruction(state, minute(40))).toEqual({ do: 'await-operator', step: 'recall_from_transit', failures: 5, last_error: 'source registry unavailable' });
  });

  it('does nothing for a finished saga', () => {
    const completed = saga(
      ...inTransit,
      ev.advanced('transit', 'destination_verification', minute(5)),
      ev.advanced('destination_verification', 'destination_unlock', minute(6)),
      ev.advanced('destination_unlock', 'completed', minute(7)),
    );
    expect(nextSchedulerInstruction(completed, minute(700))).toEqual({ do: 'nothing', why: 'the saga is completed' });
  });

  it('refuses a clock reading that is not a domain timestamp', () => {
    expect(() => nextSchedulerInstruction(saga(...inTransit), '2025-03-01 10:00')).toThrow(/now must be a UTC timestamp/);
  });
});
