import { rehydrate } from './shared/decider';
import { corridorDecider, TRANSITION_KINDS, type CorridorEvent } from './corridor';
import { disputeDecider, type DisputeEvent } from './dispute';
import { migrationSagaDecider, type MigrationSagaEvent } from './migration-saga';
import { CORRIDOR_ID, corridorEvents, minute } from './testing/corridor-fixtures';
import { DISPUTE_ID, disputeEvents } from './testing/dispute-fixtures';
import { MIGRATION_ID, evidence, sagaEvents } from './testing/migration-saga-fixtures';
import { schemaErrors } from './testing/schemas';

/**
 * Sagas and disputes ask the node to record transitions in their corridor. What they ask for must be something
 * an ACTIVE corridor accepts: a registered kind whose payload satisfies the registry's payload schema.
 */
const activeCorridor = rehydrate(corridorDecider, [corridorEvents.created(), corridorEvents.submitted(), corridorEvents.activated()] as CorridorEvent[]);

function recordInCorridor(transition: { corridor_id: string; kind: string; payload: object }, at: string): CorridorEvent[] {
  const entry = TRANSITION_KINDS.find(transition.kind);
  expect(entry?.payloadSchema).toBeTruthy();
  expect(schemaErrors(entry!.payloadSchema!, transition.payload)).toEqual([]);
  return corridorDecider.decide(
    { type: 'RecordCorridorTransition', at, data: { corridor_id: transition.corridor_id, transition: { kind: transition.kind, payload: transition.payload } } },
    activeCorridor,
  );
}

describe('transitions other aggregates land in the corridor chain', () => {
  it('a completed migration step is a migration.step.* transition the corridor accepts', () => {
    const saga = rehydrate(migrationSagaDecider, [sagaEvents.started()] as MigrationSagaEvent[]);
    const [advanced] = migrationSagaDecider.decide(
      { type: 'AdvanceMigration', at: minute(10), data: { migration_id: MIGRATION_ID, from_phase: 'initiated', evidence_digest_sha256: evidence('initiated') } },
      saga,
    );
    const transition = (advanced!.data as { corridor_transition: { corridor_id: string; kind: string; payload: object } }).corridor_transition;
    expect(transition.corridor_id).toBe(CORRIDOR_ID);
    expect(recordInCorridor(transition, minute(10))).toHaveLength(1);
  });

  it('a compensated migration step is one too', () => {
    const event = sagaEvents.stepCompleted('unlock_source', 1, minute(12));
    expect(recordInCorridor(event.data.corridor_transition, minute(12))).toHaveLength(1);
  });

  it('an enforced ruling is an arbitration.enforcement.* transition the corridor accepts', () => {
    const decided = rehydrate(disputeDecider, [
      disputeEvents.filed(),
      disputeEvents.reviewStarted(),
      disputeEvents.evidenceOpened(),
      disputeEvents.hearingScheduled(),
      disputeEvents.rulingIssued(),
    ] as DisputeEvent[]);
    const [enforced] = disputeDecider.decide({ type: 'EnforceRuling', at: minute(301), data: { dispute_id: DISPUTE_ID } }, decided);
    const transition = (enforced!.data as { corridor_transition: { corridor_id: string; kind: string; payload: object } }).corridor_transition;
    const [recorded] = recordInCorridor(transition, minute(301));
    expect(recorded!.data).toMatchObject({ transition: { kind: 'arbitration.enforcement.ruling.v1', payload: transition.payload } });
  });
});
