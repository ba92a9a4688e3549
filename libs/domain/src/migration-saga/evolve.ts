import { evolveWith } from '../shared/decider';
import type { MigrationSagaEvent, PhaseAdvancedData } from './events';
import type { CompensationProgress, MigrationSagaState } from './state';

function withCompensation(state: MigrationSagaState, change: Partial<CompensationProgress>): CompensationProgress {
  return { ...state.compensation!, ...change };
}

const advanced = (state: MigrationSagaState, { data }: { data: PhaseAdvancedData }): MigrationSagaState => ({
  ...state,
  phase: data.to_phase,
  updated_at: data.at,
});

export const evolveMigrationSaga = evolveWith<MigrationSagaState, MigrationSagaEvent>('migration-saga', {
  'migration-saga.started.v1': (state, { data }) => ({
    ...state,
    migration_id: data.migration_id,
    corridor_id: data.corridor_id,
    asset_id: data.asset_id,
    deadline: data.deadline,
    phase: data.phase,
    updated_at: data.at,
  }),
  'migration-saga.phase-advanced.v1': advanced,
  'migration-saga.completed.v1': advanced,
  'migration-saga.compensation-started.v1': (state, { data }) => ({
    ...state,
    phase: 'compensating',
    updated_at: data.at,
    compensation: {
      trigger: data.trigger,
      reason: data.reason,
      reached_phase: data.reached_phase,
      plan: data.plan,
      done: [],
      failures: 0,
      retry_at: null,
      last_error: null,
    },
  }),
  'migration-saga.compensation-step-completed.v1': (state, { data }) => ({
    ...state,
    phase: 'compensating',
    updated_at: data.at,
    compensation: withCompensation(state, { done: [...state.compensation!.done, data.step], failures: 0, retry_at: null, last_error: null }),
  }),
  'migration-saga.compensation-step-failed.v1': (state, { data }) => ({
    ...state,
    updated_at: data.at,
    compensation: withCompensation(state, { failures: data.attempt, retry_at: data.retry_at, last_error: data.error }),
  }),
  'migration-saga.compensation-escalated.v1': (state, { data }) => ({ ...state, phase: 'compensation_failed', updated_at: data.at }),
  'migration-saga.compensation-failure-resolved.v1': (state, { data }) =>
    data.resolution === 'retry'
      ? { ...state, phase: 'compensating', updated_at: data.at, compensation: withCompensation(state, { failures: 0, retry_at: null }) }
      : { ...state, updated_at: data.at },
  'migration-saga.compensated.v1': (state, { data }) => ({ ...state, phase: 'compensated', updated_at: data.at }),
  'migration-saga.cancelled.v1': (state, { data }) => ({ ...state, phase: 'cancelled', updated_at: data.at }),
});
