import { addProof, canonicalize, computeNextRoot, sha256Hex, type JsonObject } from '@corridor/protocol';
import { rehydrate, type DomainEvent } from '../shared/decider';
import { CORRIDOR_ID, minute, zoneA } from '../testing/corridor-fixtures';
import { DISPUTE_ID, disputeEvents, respondent } from '../testing/dispute-fixtures';
import { MIGRATION_ID, CORRIDOR_GENESIS_ROOT, sagaEvents } from '../testing/migration-saga-fixtures';
import { schemaErrors } from '../testing/schemas';
import { WATCHER_ID, bondEvents, watcherAttestation } from '../testing/watcher-bond-fixtures';
import { ROOT_2, ROOT_3 } from '../testing/corridor-fixtures';
import { watcherBondDecider } from '../watcher-bond';
import { DISPUTE_CHAIN, MIGRATION_SAGA_CHAIN, WATCHER_BOND_CHAIN, aggregateGenesis, buildAggregateReceipt, rulesetDigestSet, type ChainSubject, type ReceiptChain } from './chains';

const policyDigest = (file: string) => sha256Hex(canonicalize(require(`@corridor/governance/${file}`)));

describe('receipt chains of the non-corridor aggregates', () => {
  it('use their own receipt types and genesis tags, in the msez era', () => {
    expect([MIGRATION_SAGA_CHAIN, WATCHER_BOND_CHAIN, DISPUTE_CHAIN].map((c) => [c.receiptType, c.genesisTag])).toEqual([
      ['MSEZMigrationSagaReceipt', 'msez.migration-saga.genesis.v1'],
      ['MSEZWatcherBondReceipt', 'msez.watcher-bond.genesis.v1'],
      ['MSEZDisputeReceipt', 'msez.dispute.genesis.v1'],
    ]);
  });

  it('commit to the governance documents their deciders enforce', () => {
    expect(rulesetDigestSet(MIGRATION_SAGA_CHAIN)).toEqual([policyDigest('migration-saga.policy.json')]);
    expect(rulesetDigestSet(WATCHER_BOND_CHAIN)).toEqual([policyDigest('watcher-slashing.json')]);
    expect(rulesetDigestSet(DISPUTE_CHAIN)).toEqual([]);
  });

  it('compute the genesis root as SHA-256 of the canonical tagged preimage', () => {
    const saga = aggregateGenesis(MIGRATION_SAGA_CHAIN, { subject_id: MIGRATION_ID, corridor_id: CORRIDOR_ID, corridor_genesis_root: CORRIDOR_GENESIS_ROOT });
    const preimage =
      `{"corridor_genesis_root":"${CORRIDOR_GENESIS_ROOT}","corridor_id":"${CORRIDOR_ID}","migration_id":"${MIGRATION_ID}",` +
      `"ruleset_digest_set":["${policyDigest('migration-saga.policy.json')}"],"tag":"msez.migration-saga.genesis.v1"}`;
    expect(saga.genesis_root).toBe(sha256Hex(preimage));
    const watcher = aggregateGenesis(WATCHER_BOND_CHAIN, { subject_id: WATCHER_ID });
    expect(watcher.genesis_root).toBe(sha256Hex(`{"ruleset_digest_set":["${policyDigest('watcher-slashing.json')}"],"tag":"msez.watcher-bond.genesis.v1","watcher_id":"${WATCHER_ID}"}`));
  });

  it('give every instance its own genesis, bound to its corridor instance', () => {
    const g = (s: ChainSubject) => aggregateGenesis(DISPUTE_CHAIN, s).genesis_root;
    const one = g({ subject_id: 'd-1', corridor_id: CORRIDOR_ID, corridor_genesis_root: CORRIDOR_GENESIS_ROOT });
    expect(g({ subject_id: 'd-2', corridor_id: CORRIDOR_ID, corridor_genesis_root: CORRIDOR_GENESIS_ROOT })).not.toBe(one);
    expect(g({ subject_id: 'd-1', corridor_id: CORRIDOR_ID, corridor_genesis_root: 'd'.repeat(64) })).not.toBe(one);
    expect(() => g({ subject_id: 'd-1' })).toThrow(/corridor_id and corridor_genesis_root are required/);
  });
});

/** Seals and signs a whole history as a chain, checking every link and the receipt schema. */
function chainOf(chain: ReceiptChain, subject: ChainSubject, history: DomainEvent<string, { at: string }>[], schema: string): JsonObject[] {
  let prev = aggregateGenesis(chain, subject).genesis_root;
  return history.map((event, sequence) => {
    const receipt = addProof(buildAggregateReceipt(chain, { subject, sequence, prev_root: prev, event }), zoneA, { created: event.data.at });
    expect(receipt.prev_root).toBe(prev);
    expect(receipt.next_root).toBe(computeNextRoot(receipt));
    expect(receipt.transition).toEqual({ type: 'MSEZTransitionEnvelope', kind: event.type, payload: event.data, payload_sha256: sha256Hex(canonicalize(event.data)) });
    expect(schemaErrors(schema, receipt)).toEqual([]);
    prev = receipt.next_root as string;
    return receipt;
  });
}

describe('receipts of real histories satisfy their JSON Schemas', () => {
  it('migration saga', () => {
    const plan = ['recall_from_transit', 'unlock_source', 'void_attestations', 'release_fee_holds'];
    const history = [
      sagaEvents.started(),
      sagaEvents.advanced('initiated', 'compliance_check', minute(1)),
      sagaEvents.advanced('compliance_check', 'attestation_gathering', minute(2)),
      sagaEvents.advanced('attestation_gathering', 'source_lock', minute(3)),
      sagaEvents.advanced('source_lock', 'transit', minute(4)),
      sagaEvents.compensationStarted('failed', 'destination refused', 'transit', plan, minute(10)),
      sagaEvents.stepFailed('recall_from_transit', 1, minute(11), '2025-03-01T09:11:30Z'),
      sagaEvents.stepFailed('recall_from_transit', 5, minute(19), null),
      sagaEvents.escalated('recall_from_transit', 5, minute(19)),
      sagaEvents.resolved('recall_from_transit', 'compensated_manually', minute(30)),
      sagaEvents.stepCompleted('recall_from_transit', 6, minute(30), 'operator:alice'),
      sagaEvents.stepCompleted('unlock_source', 1, minute(31)),
      sagaEvents.stepCompleted('void_attestations', 1, minute(32)),
      sagaEvents.stepCompleted('release_fee_holds', 1, minute(33)),
      sagaEvents.ended('failed', plan, minute(33)),
      sagaEvents.ended('cancelled', plan, minute(34)),
      sagaEvents.advanced('destination_unlock', 'completed', minute(35)),
    ];
    const receipts = chainOf(MIGRATION_SAGA_CHAIN, { subject_id: MIGRATION_ID, corridor_id: CORRIDOR_ID, corridor_genesis_root: CORRIDOR_GENESIS_ROOT }, history, 'migration-saga.receipt.schema.json');
    expect(receipts[0]).toMatchObject({ type: 'MSEZMigrationSagaReceipt', migration_id: MIGRATION_ID, corridor_id: CORRIDOR_ID, sequence: 0, timestamp: minute(0) });
    expect(receipts[0]).not.toHaveProperty('corridor_genesis_root');
  });

  it('watcher bond', () => {
    const d = (s: string) => sha256Hex(s);
    const a = watcherAttestation(42, ROOT_2);
    const b = watcherAttestation(42, ROOT_3);
    const equivocation = watcherBondDecider.decide(
      { type: 'SlashBond', at: minute(6), data: { watcher_id: WATCHER_ID, offence: 'equivocation', evidence: { attestations: [a, b] } } },
      rehydrate(watcherBondDecider, [bondEvents.posted(), bondEvents.toppedUp('10', '1010.5', '1010.5', minute(5))] as never),
    );
    const history = [
      bondEvents.posted(),
      bondEvents.attested(1, minute(1), d('a1')),
      bondEvents.slashedFor('availability', 'A-1', 100, '10.005', '1000.5', '990.495', minute(2), d('A-1')),
      bondEvents.toppedUp('10', '1010.5', '1000.495', minute(5)),
      ...equivocation,
      { type: 'watcher-bond.banned.v1', data: { watcher_id: WATCHER_ID, at: minute(7), offence: 'collusion', incident: 'collusion:C-1' } },
      bondEvents.unbonding(minute(8), '2025-03-08T09:08:00Z'),
      bondEvents.withdrawn('2025-03-08T09:08:00Z', '0'),
    ] as DomainEvent<string, { at: string }>[];
    const receipts = chainOf(WATCHER_BOND_CHAIN, { subject_id: WATCHER_ID }, history, 'watcher-bond.receipt.schema.json');
    expect(receipts[0]).not.toHaveProperty('corridor_id');
  });

  it('dispute', () => {
    const history = [
      disputeEvents.filed(),
      disputeEvents.reviewStarted(),
      disputeEvents.escrowFunded('ESC-1', minute(2)),
      disputeEvents.evidenceOpened(minute(2)),
      disputeEvents.evidenceSubmitted('EP-1', [1, 4], minute(10)),
      disputeEvents.consented(respondent, minute(11)),
      disputeEvents.hearingScheduled(),
      disputeEvents.rulingIssued(minute(300), minute(400)),
      {
        type: 'dispute.ruling-enforced.v1',
        data: {
          dispute_id: DISPUTE_ID,
          at: minute(400),
          ruling_digest_sha256: 'a'.repeat(64),
          corridor_transition: { corridor_id: CORRIDOR_ID, kind: 'arbitration.enforcement.ruling.v1', payload: { dispute_id: DISPUTE_ID, ruling_digest_sha256: 'a'.repeat(64), disposition: 'claim_upheld', orders: [], enforced_at: minute(400) } },
        },
      },
      { type: 'dispute.escrow-released.v1', data: { dispute_id: DISPUTE_ID, at: minute(401), escrow_id: 'ESC-1', to: respondent.did, amount: '25000', currency: 'USD', condition: 'ruling_enforced', order_digest_sha256: null } },
      { type: 'dispute.closed.v1', data: { dispute_id: DISPUTE_ID, at: minute(402), final_report_digest_sha256: 'b'.repeat(64) } },
    ] as DomainEvent<string, { at: string }>[];
    chainOf(DISPUTE_CHAIN, { subject_id: DISPUTE_ID, corridor_id: CORRIDOR_ID, corridor_genesis_root: CORRIDOR_GENESIS_ROOT }, history, 'dispute.receipt.schema.json');
  });

  it('the schemas refuse payloads of the wrong shape, and kinds that are not the aggregate’s events', () => {
    const subject = { subject_id: WATCHER_ID };
    const genesis = aggregateGenesis(WATCHER_BOND_CHAIN, subject).genesis_root;
    const sign = (event: DomainEvent<string, object>) => addProof(buildAggregateReceipt(WATCHER_BOND_CHAIN, { subject, sequence: 0, prev_root: genesis, event: event as DomainEvent<string, { at: string }> }), zoneA, { created: minute(0) });
    const posted = bondEvents.posted();
    expect(schemaErrors('watcher-bond.receipt.schema.json', sign(posted))).toEqual([]);
    expect(schemaErrors('watcher-bond.receipt.schema.json', sign({ ...posted, data: { ...posted.data, amount: '100.50' } }))).not.toEqual([]);
    expect(schemaErrors('watcher-bond.receipt.schema.json', sign({ ...posted, data: { ...posted.data, amount: 100 } } as never))).not.toEqual([]);
    expect(schemaErrors('watcher-bond.receipt.schema.json', sign({ ...posted, type: 'dispute.filed.v1' }))).not.toEqual([]);
    const { proof: _p, ...unsigned } = sign(posted);
    expect(schemaErrors('watcher-bond.receipt.schema.json', unsigned)).not.toEqual([]);
  });
});
