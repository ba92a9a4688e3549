import { rehydrate } from '../shared/decider';
import { CORRIDOR_ID, minute } from '../testing/corridor-fixtures';
import { ASSET_ID, DEADLINE, MIGRATION_ID, minuteAndSeconds, sagaEvents as ev } from '../testing/migration-saga-fixtures';
import { migrationSagaDecider } from './decider';
import type { MigrationSagaEvent } from './events';

describe('migration saga rehydration', () => {
  it('folds a migration that failed in transit and was undone after one operator intervention', () => {
    const plan = ['recall_from_transit', 'unlock_source', 'void_attestations', 'release_fee_holds'];
    const history = [
      ev.started(),
      ev.advanced('initiated', 'compliance_check', minute(1)),
      ev.advanced('compliance_check', 'attestation_gathering', minute(2)),
      ev.advanced('attestation_gathering', 'source_lock', minute(3)),
      ev.advanced('source_lock', 'transit', minute(4)),
      ev.compensationStarted('failed', 'destination refused the asset', 'transit', plan, minute(10)),
      ev.stepCompleted('recall_from_transit', 1, minute(11)),
      ev.stepFailed('unlock_source', 1, minute(12), minuteAndSeconds(12, 30)),
      ev.stepFailed('unlock_source', 2, minuteAndSeconds(12, 30), minuteAndSeconds(13, 30)),
      ev.stepFailed('unlock_source', 3, minuteAndSeconds(13, 30), minuteAndSeconds(15, 30)),
      ev.stepFailed('unlock_source', 4, minuteAndSeconds(15, 30), minuteAndSeconds(19, 30)),
      ev.stepFailed('unlock_source', 5, minute(20), null),
      ev.escalated('unlock_source', 5, minute(20)),
      ev.resolved('unlock_source', 'retry', minute(45)),
      ev.stepCompleted('unlock_source', 1, minute(46)),
      ev.stepCompleted('void_attestations', 1, minute(47)),
      ev.stepCompleted('release_fee_holds', 1, minute(48)),
      ev.ended('failed', plan, minute(48)),
    ] as MigrationSagaEvent[];

    expect(rehydrate(migrationSagaDecider, history)).toEqual({
      version: 18,
      migration_id: MIGRATION_ID,
      corridor_id: CORRIDOR_ID,
      asset_id: ASSET_ID,
      deadline: DEADLINE,
      phase: 'compensated',
      updated_at: minute(48),
      compensation: {
        trigger: 'failed',
        reason: 'destination refused the asset',
        reached_phase: 'transit',
        plan,
        done: plan,
        failures: 0,
        retry_at: null,
        last_error: null,
      },
    });
  });
});
