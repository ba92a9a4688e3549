import { refused, specFor } from '../testing';
import { minute } from '../testing/corridor-fixtures';
import { DEADLINE, MIGRATION_ID, evidence, minuteAndSeconds, sagaEvents as ev, startMigration } from '../testing/migration-saga-fixtures';
import type { MigrationSagaCommand } from './commands';
import { migrationSagaDecider } from './decider';
import type { MigrationSagaEvent } from './events';

const { given } = specFor(migrationSagaDecider);
const history = (...events: unknown[]) => events as MigrationSagaEvent[];
const cmd = (type: MigrationSagaCommand['type'], at: string, data: object = {}) => ({ type, at, data: { migration_id: MIGRATION_ID, ...data } }) as MigrationSagaCommand;
const advance = (from: string, at: string, digest: unknown = evidence(from)) => cmd('AdvanceMigration', at, { from_phase: from, evidence_digest_sha256: digest });

const STARTED = history(ev.started());
const IN_ATTESTATION = history(...STARTED, ev.advanced('initiated', 'compliance_check', minute(1)), ev.advanced('compliance_check', 'attestation_gathering', minute(2)));
const IN_SOURCE_LOCK = history(...IN_ATTESTATION, ev.advanced('attestation_gathering', 'source_lock', minute(3)));
const IN_TRANSIT = history(...IN_SOURCE_LOCK, ev.advanced('source_lock', 'transit', minute(4)));
const IN_DESTINATION_UNLOCK = history(
  ...IN_TRANSIT,
  ev.advanced('transit', 'destination_verification', minute(5)),
  ev.advanced('destination_verification', 'destination_unlock', minute(6)),
);
const COMPLETED = history(...IN_DESTINATION_UNLOCK, ev.advanced('destination_unlock', 'completed', minute(7)));

const TRANSIT_PLAN = ['recall_from_transit', 'unlock_source', 'void_attestations', 'release_fee_holds'];
const FAILED_IN_TRANSIT = history(...IN_TRANSIT, ev.compensationStarted('failed', 'destination refused the asset', 'transit', TRANSIT_PLAN, minute(10)));

describe('StartMigration', () => {
  it('starts in initiated with a mandatory deadline', () => {
    given([]).when(startMigration()).then([ev.started()]);
  });

  it('refuses a start without a deadline, or with a deadline not after the start', () => {
    const { deadline: _d, ...noDeadline } = startMigration().data;
    given([]).when({ ...startMigration(), data: noDeadline } as MigrationSagaCommand).then(refused('invalid-command', /deadline is mandatory/));
    given([]).when({ ...startMigration(), data: { ...startMigration().data, deadline: minute(0) } }).then(refused('invalid-command', /must be after the start/));
    given([]).when({ ...startMigration(), data: { ...startMigration().data, deadline: 'tomorrow' } }).then(refused('invalid-command', /deadline must be a UTC timestamp/));
  });

  it('refuses a migration to the jurisdiction it starts from, and a corridor genesis root that is not a digest', () => {
    given([]).when({ ...startMigration(), data: { ...startMigration().data, destination_jurisdiction: 'ae-difc' } }).then(refused('invalid-command', /both ae-difc/));
    given([]).when({ ...startMigration(), data: { ...startMigration().data, corridor_genesis_root: 'genesis' } }).then(refused('invalid-command', /corridor_genesis_root/));
  });

  it('refuses a command addressed to another migration', () => {
    given(STARTED).when({ type: 'AdvanceMigration', at: minute(1), data: { migration_id: 'mig-other', from_phase: 'initiated', evidence_digest_sha256: evidence('initiated') } }).then(refused('aggregate-mismatch', /mig-other/));
  });

  it('refuses to start twice, and any other command before the start', () => {
    given(STARTED).when(startMigration(minute(1))).then(refused('already-exists', /already exists \(initiated\)/));
    given([]).when(advance('initiated', minute(1))).then(refused('not-found'));
  });
});

describe('AdvanceMigration: initiated → compliance_check → … → destination_unlock → completed', () => {
  it('advances one phase and asks for the completed step to land in the corridor', () => {
    given(STARTED).when(advance('initiated', minute(1))).then([ev.advanced('initiated', 'compliance_check', minute(1))]);
  });

  it('completes after destination_unlock', () => {
    const state = given(IN_DESTINATION_UNLOCK).when(advance('destination_unlock', minute(7))).then([ev.advanced('destination_unlock', 'completed', minute(7))]);
    expect(state.phase).toBe('completed');
  });

  it('refuses to advance a phase the saga is not in', () => {
    given(IN_TRANSIT).when(advance('source_lock', minute(5))).then(refused('transition-not-allowed', `migration ${MIGRATION_ID} is in transit, not source_lock`));
    given(STARTED).when(advance('teleport', minute(1))).then(refused('invalid-command', /from_phase must be one of/));
  });

  it('refuses to advance at or after the deadline: the saga must expire instead', () => {
    given(IN_TRANSIT).when(advance('transit', DEADLINE)).then(refused('deadline-passed', /had until 2025-03-01T19:00:00Z/));
  });

  it('refuses to advance without evidence, or with evidence that is not a digest', () => {
    given(STARTED).when(advance('initiated', minute(1), null)).then(refused('evidence-missing', /completing initiated needs evidence_digest_sha256/));
    given(STARTED).when(advance('initiated', minute(1), 'ok')).then(refused('invalid-evidence'));
  });

  it('refuses to advance a completed or compensating saga', () => {
    given(COMPLETED).when(advance('destination_unlock', minute(8))).then(refused('transition-not-allowed', /is completed; only a migration in initiated/));
    given(FAILED_IN_TRANSIT).when(advance('transit', minute(11))).then(refused('transition-not-allowed', /is compensating/));
  });
});

describe('CancelMigration: only before transit, undoing what was done', () => {
  it('cancels in attestation_gathering by voiding attestations, then releasing the fee holds', () => {
    given(IN_ATTESTATION)
      .when(cmd('CancelMigration', minute(3), { reason: 'buyer withdrew' }))
      .then([ev.compensationStarted('cancelled', 'buyer withdrew', 'attestation_gathering', ['void_attestations', 'release_fee_holds'], minute(3))]);
  });

  it('cancels in source_lock by unlocking the source first', () => {
    given(IN_SOURCE_LOCK)
      .when(cmd('CancelMigration', minute(4), { reason: 'buyer withdrew' }))
      .then([ev.compensationStarted('cancelled', 'buyer withdrew', 'source_lock', ['unlock_source', 'void_attestations', 'release_fee_holds'], minute(4))]);
  });

  it('refuses to cancel once the asset is in transit', () => {
    given(IN_TRANSIT).when(cmd('CancelMigration', minute(5), { reason: 'too late' })).then(refused('transition-not-allowed', /is transit; cancellation is possible only in initiated, compliance_check, attestation_gathering, source_lock/));
  });

  it('refuses a cancellation without a reason', () => {
    given(STARTED).when(cmd('CancelMigration', minute(1), { reason: '' })).then(refused('invalid-command', /reason/));
  });
});

describe('FailMigration and ExpireMigration start compensation in reverse phase order', () => {
  it('undoes a migration that failed in transit, latest phase first', () => {
    given(IN_TRANSIT).when(cmd('FailMigration', minute(10), { reason: 'destination refused the asset' })).then(FAILED_IN_TRANSIT.slice(-1));
  });

  it('undoes everything when the last phase fails', () => {
    given(IN_DESTINATION_UNLOCK)
      .when(cmd('FailMigration', minute(10), { reason: 'unlock rejected' }))
      .then([
        ev.compensationStarted(
          'failed',
          'unlock rejected',
          'destination_unlock',
          ['relock_destination', 'discard_destination_verification', 'recall_from_transit', 'unlock_source', 'void_attestations', 'release_fee_holds'],
          minute(10),
        ),
      ]);
  });

  it('refuses to fail a completed saga', () => {
    given(COMPLETED).when(cmd('FailMigration', minute(10), { reason: 'late' })).then(refused('transition-not-allowed', /is completed/));
  });

  it('expires at the deadline, not before', () => {
    given(IN_TRANSIT).when(cmd('ExpireMigration', minuteAndSeconds(599, 59))).then(refused('deadline-not-reached', `migration ${MIGRATION_ID} has until ${DEADLINE}`));
    given(IN_TRANSIT)
      .when(cmd('ExpireMigration', DEADLINE))
      .then([ev.compensationStarted('expired', `deadline ${DEADLINE} passed in transit`, 'transit', TRANSIT_PLAN, DEADLINE)]);
  });

  it('refuses to expire a saga that is already being undone', () => {
    given(FAILED_IN_TRANSIT).when(cmd('ExpireMigration', DEADLINE)).then(refused('transition-not-allowed', /is compensating/));
  });
});

describe('compensation steps: in order, idempotent, retried with exponential backoff', () => {
  const complete = (step: string, at: string, digest: unknown = evidence(step)) => cmd('CompleteCompensationStep', at, { step, evidence_digest_sha256: digest });
  const fail = (step: string, at: string) => cmd('FailCompensationStep', at, { step, error: 'source registry unavailable' });

  it('completes the next step and asks for it to land in the corridor', () => {
    given(FAILED_IN_TRANSIT).when(complete('recall_from_transit', minute(11))).then([ev.stepCompleted('recall_from_transit', 1, minute(11))]);
  });

  it('ends as compensated when the last step of a failed saga is undone', () => {
    const before = history(
      ...FAILED_IN_TRANSIT,
      ev.stepCompleted('recall_from_transit', 1, minute(11)),
      ev.stepCompleted('unlock_source', 1, minute(12)),
      ev.stepCompleted('void_attestations', 1, minute(13)),
    );
    const state = given(before)
      .when(complete('release_fee_holds', minute(14)))
      .then([ev.stepCompleted('release_fee_holds', 1, minute(14)), ev.ended('failed', TRANSIT_PLAN, minute(14))]);
    expect(state.phase).toBe('compensated');
  });

  it('ends as cancelled when the last step of a cancelled saga is undone', () => {
    const before = history(
      ...IN_ATTESTATION,
      ev.compensationStarted('cancelled', 'buyer withdrew', 'attestation_gathering', ['void_attestations', 'release_fee_holds'], minute(3)),
      ev.stepCompleted('void_attestations', 1, minute(4)),
    );
    const state = given(before)
      .when(complete('release_fee_holds', minute(5)))
      .then([ev.stepCompleted('release_fee_holds', 1, minute(5)), ev.ended('cancelled', ['void_attestations', 'release_fee_holds'], minute(5))]);
    expect(state.phase).toBe('cancelled');
  });

  it('treats a report for a step already undone as a no-op, even after the saga ended', () => {
    const done = history(...FAILED_IN_TRANSIT, ev.stepCompleted('recall_from_transit', 1, minute(11)));
    given(done).when(complete('recall_from_transit', minute(12))).then([]);
    given(done).when(fail('recall_from_transit', minute(12))).then([]);
    const ended = history(
      ...done,
      ev.stepCompleted('unlock_source', 1, minute(12)),
      ev.stepCompleted('void_attestations', 1, minute(13)),
      ev.stepCompleted('release_fee_holds', 1, minute(14)),
      ev.ended('failed', TRANSIT_PLAN, minute(14)),
    );
    given(ended).when(complete('unlock_source', minute(20))).then([]);
    // A redelivered report keeps its original time, older than the events since: still a no-op.
    given(ended).when(complete('recall_from_transit', minute(11))).then([]);
  });

  it('refuses steps out of order, steps outside the plan, and reports without evidence', () => {
    given(FAILED_IN_TRANSIT).when(complete('unlock_source', minute(11))).then(refused('transition-not-allowed', 'compensation steps run in order; the next one is recall_from_transit, not unlock_source'));
    given(FAILED_IN_TRANSIT).when(complete('refund_everyone', minute(11))).then(refused('invalid-command', /not in the compensation plan \(recall_from_transit, unlock_source, void_attestations, release_fee_holds\)/));
    given(FAILED_IN_TRANSIT).when(complete('recall_from_transit', minute(11), null)).then(refused('evidence-missing'));
  });

  it('refuses step reports when nothing is being compensated', () => {
    given(IN_TRANSIT).when(complete('recall_from_transit', minute(11))).then(refused('transition-not-allowed', /is transit; nothing is being compensated/));
  });

  it('schedules the retry of a failed step 30 s, then 60 s, then 120 s later', () => {
    given(FAILED_IN_TRANSIT).when(fail('recall_from_transit', minute(11))).then([ev.stepFailed('recall_from_transit', 1, minute(11), minuteAndSeconds(11, 30))]);
    const once = history(...FAILED_IN_TRANSIT, ev.stepFailed('recall_from_transit', 1, minute(11), minuteAndSeconds(11, 30)));
    given(once).when(fail('recall_from_transit', minuteAndSeconds(11, 30))).then([ev.stepFailed('recall_from_transit', 2, minuteAndSeconds(11, 30), minuteAndSeconds(12, 30))]);
    const twice = history(...once, ev.stepFailed('recall_from_transit', 2, minuteAndSeconds(11, 30), minuteAndSeconds(12, 30)));
    given(twice).when(fail('recall_from_transit', minuteAndSeconds(12, 30))).then([ev.stepFailed('recall_from_transit', 3, minuteAndSeconds(12, 30), minuteAndSeconds(14, 30))]);
  });

  it('allows the next attempt only at or after retry_at, counting the failed attempts', () => {
    const once = history(...FAILED_IN_TRANSIT, ev.stepFailed('recall_from_transit', 1, minute(11), minuteAndSeconds(11, 30)));
    given(once).when(complete('recall_from_transit', minuteAndSeconds(11, 29))).then(refused('retry-not-due', /at or after 2025-03-01T09:11:30Z, not at 2025-03-01T09:11:29Z/));
    given(once).when(fail('recall_from_transit', minuteAndSeconds(11, 29))).then(refused('retry-not-due'));
    given(once).when(complete('recall_from_transit', minuteAndSeconds(11, 30))).then([ev.stepCompleted('recall_from_transit', 2, minuteAndSeconds(11, 30))]);
  });

  const FOUR_FAILURES = history(
    ...FAILED_IN_TRANSIT,
    ev.stepFailed('recall_from_transit', 1, minute(11), minuteAndSeconds(11, 30)),
    ev.stepFailed('recall_from_transit', 2, minuteAndSeconds(11, 30), minuteAndSeconds(12, 30)),
    ev.stepFailed('recall_from_transit', 3, minuteAndSeconds(12, 30), minuteAndSeconds(14, 30)),
    ev.stepFailed('recall_from_transit', 4, minuteAndSeconds(14, 30), minuteAndSeconds(18, 30)),
  );
  const ESCALATED = history(...FOUR_FAILURES, ev.stepFailed('recall_from_transit', 5, minute(19), null), ev.escalated('recall_from_transit', 5, minute(19)));

  it('escalates to compensation_failed on the fifth failure, with no further retry', () => {
    const state = given(FOUR_FAILURES)
      .when(fail('recall_from_transit', minute(19)))
      .then([ev.stepFailed('recall_from_transit', 5, minute(19), null), ev.escalated('recall_from_transit', 5, minute(19))]);
    expect(state.phase).toBe('compensation_failed');
  });

  it('refuses further attempts once escalated: only an operator can move it on', () => {
    given(ESCALATED).when(complete('recall_from_transit', minute(30))).then(refused('transition-not-allowed', /compensation_failed on recall_from_transit after 5 failures; an operator must resolve it/));
    given(ESCALATED).when(fail('recall_from_transit', minute(30))).then(refused('transition-not-allowed'));
  });

  describe('ResolveCompensationFailure', () => {
    const resolve = (resolution: string, at: string, extra: object = {}) =>
      cmd('ResolveCompensationFailure', at, { operator: 'operator:alice', resolution, note: 'registry restored', ...extra });

    it('lets the operator ask for another try, which may run at once and counts from one again', () => {
      const state = given(ESCALATED).when(resolve('retry', minute(30))).then([ev.resolved('recall_from_transit', 'retry', minute(30))]);
      expect(state.phase).toBe('compensating');
      given([...ESCALATED, ev.resolved('recall_from_transit', 'retry', minute(30))])
        .when(complete('recall_from_transit', minute(30)))
        .then([ev.stepCompleted('recall_from_transit', 1, minute(30))]);
    });

    it('lets the operator record that the step was undone by hand, and compensation continues', () => {
      const state = given(ESCALATED)
        .when(resolve('compensated_manually', minute(30), { evidence_digest_sha256: evidence('recall_from_transit') }))
        .then([ev.resolved('recall_from_transit', 'compensated_manually', minute(30)), ev.stepCompleted('recall_from_transit', 6, minute(30), 'operator:alice')]);
      expect(state.phase).toBe('compensating');
      expect(state.compensation?.done).toEqual(['recall_from_transit']);
    });

    it('refuses a manual resolution without evidence, an unknown resolution, and a saga that is not stuck', () => {
      given(ESCALATED).when(resolve('compensated_manually', minute(30))).then(refused('evidence-missing', /undoing recall_from_transit by hand/));
      given(ESCALATED).when(resolve('ignore', minute(30))).then(refused('invalid-command', /resolution must be one of compensated_manually, retry/));
      given(FAILED_IN_TRANSIT).when(resolve('retry', minute(30))).then(refused('transition-not-allowed', /is compensating; only a compensation_failed saga needs an operator/));
    });
  });
});
