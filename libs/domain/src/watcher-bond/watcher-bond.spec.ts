import { sha256Hex } from '@corridor/protocol';
import { issueCredential, refused, specFor, tamperSignature } from '../testing';
import { CORRIDOR_ID, ROOT_2, ROOT_3, minute } from '../testing/corridor-fixtures';
import { BOND_ID, OTHER_CORRIDOR, WATCHER, WATCHER_ID, bondCommand, bondEvents as ev, postBond, stranger, watcherAttestation } from '../testing/watcher-bond-fixtures';
import { evidenceOf } from '../testing/corridor-fixtures';
import type { WatcherBondCommand } from './commands';
import { watcherBondDecider } from './decider';
import type { WatcherBondEvent } from './events';

const { given } = specFor(watcherBondDecider);
const history = (...events: unknown[]) => events as WatcherBondEvent[];
const cmd = (type: WatcherBondCommand['type'], at: string, data: object = {}) => bondCommand(type, at, data) as WatcherBondCommand;
const digest = (s: string) => sha256Hex(s);
const slash = (offence: string, evidence: unknown, at = minute(10)) => cmd('SlashBond', at, { offence, evidence });
const bundle = (incident_id: string, corridor_id = CORRIDOR_ID) => ({ incident_id, corridor_id, evidence_digest_sha256: digest(incident_id) });

const POSTED = history(ev.posted());
const EXHAUSTED = history(...POSTED, ev.slashedFor('liveness', 'L-1', 10000, '1000.5', '1000.5', '0', minute(5), digest('L-1')));
const UNBONDING = history(...POSTED, ev.unbonding(minute(40), '2025-03-08T09:40:00Z'));
const WITHDRAWN = history(...UNBONDING, ev.withdrawn('2025-03-08T09:40:00Z', '1000.5'));

describe('PostBond', () => {
  it('posts an active bond, writing the amount in its shortest exact form', () => {
    given([]).when(postBond() as WatcherBondCommand).then([ev.posted()]);
  });

  it.each([
    ['-1', /not a plain decimal/],
    ['1e3', /not a plain decimal/],
    ['01', /not a plain decimal/],
    ['1.', /not a plain decimal/],
    ['.5', /not a plain decimal/],
    [' 1', /not a plain decimal/],
    ['1,000', /not a plain decimal/],
    ['NaN', /not a plain decimal/],
    ['0', /greater than zero/],
    ['0.000', /greater than zero/],
    ['1.0000000000000000001', /19 fractional digits; at most 18/],
    ['1' + '0'.repeat(30), /more than 30 integer digits/],
  ])('refuses the amount %j', (amount, reason) => {
    given([]).when(postBond(minute(0), { amount }) as WatcherBondCommand).then(refused('invalid-amount', reason));
  });

  it('refuses an amount given as a number, and a malformed currency', () => {
    given([]).when(postBond(minute(0), { amount: 1000 }) as WatcherBondCommand).then(refused('invalid-amount', /must be a decimal string/));
    given([]).when(postBond(minute(0), { currency: 'usd' }) as WatcherBondCommand).then(refused('invalid-amount', /currency code/));
  });

  it('accepts the smallest amount, 10^-18', () => {
    const state = given([]).when(postBond(minute(0), { amount: '0.000000000000000001' }) as WatcherBondCommand).then([ev.posted(minute(0), BOND_ID, '0.000000000000000001')]);
    expect(state.bond?.remaining).toBe('0.000000000000000001');
  });

  it('refuses a bond without a corridor scope, or listing a corridor twice', () => {
    given([]).when(postBond(minute(0), { corridor_ids: [] }) as WatcherBondCommand).then(refused('invalid-command', /at least one corridor/));
    given([]).when(postBond(minute(0), { corridor_ids: [CORRIDOR_ID, CORRIDOR_ID] }) as WatcherBondCommand).then(refused('invalid-command', /twice/));
  });

  it('refuses a command for another watcher than the stream’s', () => {
    given(POSTED).when({ ...cmd('StartUnbonding', minute(1)), data: { watcher_id: stranger.did } } as WatcherBondCommand).then(refused('aggregate-mismatch'));
  });

  it('refuses a watcher id that is not a did:key', () => {
    given([]).when({ ...postBond(), data: { ...postBond().data, watcher_id: 'watcher-1' } } as WatcherBondCommand).then(refused('invalid-command', /watcher_id/));
  });

  it('refuses a second bond while one is held, and reusing a bond id', () => {
    given(POSTED).when(postBond(minute(1), { bond_id: 'bond-2' }) as WatcherBondCommand).then(refused('transition-not-allowed', /already has bond bond-2025-0001 \(ACTIVE\)/));
    given(WITHDRAWN).when(postBond('2025-03-09T00:00:00Z') as WatcherBondCommand).then(refused('already-exists', /bond-2025-0001 was already used/));
  });

  it('lets a watcher bond again after withdrawing', () => {
    given(WITHDRAWN).when(postBond('2025-03-09T00:00:00Z', { bond_id: 'bond-2' }) as WatcherBondCommand).then([ev.posted('2025-03-09T00:00:00Z', 'bond-2')]);
  });

  it('never lets a banned watcher bond again', () => {
    const banned = history(
      ...POSTED,
      { ...ev.slashedFor('collusion', 'C-1', 10000, '1000.5', '1000.5', '0', minute(5), digest('C-1')) },
      { type: 'watcher-bond.banned.v1', data: { watcher_id: WATCHER_ID, at: minute(5), offence: 'collusion', incident: 'collusion:C-1' } },
    );
    given(banned).when(postBond(minute(9), { bond_id: 'bond-2' }) as WatcherBondCommand).then(refused('watcher-banned', /banned for collusion \(collusion:C-1\) at 2025-03-01T09:05:00Z; it can never bond again/));
  });
});

describe('RecordAttestation', () => {
  it('counts the attestations of an active bond', () => {
    const once = given(POSTED).when(cmd('RecordAttestation', minute(1), { corridor_id: CORRIDOR_ID, attestation_digest_sha256: digest('a1') })).then([ev.attested(1, minute(1), digest('a1'))]);
    expect(once.bond?.attestation_count).toBe(1);
    given([...POSTED, ev.attested(1, minute(1), digest('a1'))] as WatcherBondEvent[])
      .when(cmd('RecordAttestation', minute(2), { corridor_id: CORRIDOR_ID, attestation_digest_sha256: digest('a2') }))
      .then([ev.attested(2, minute(2), digest('a2'))]);
  });

  it('refuses an attestation for a corridor outside the bond scope', () => {
    given(POSTED).when(cmd('RecordAttestation', minute(1), { corridor_id: 'corridor:elsewhere', attestation_digest_sha256: digest('a1') })).then(refused('out-of-scope', /outside bond bond-2025-0001's scope/));
  });

  it('refuses attestations from an exhausted, unbonding or absent bond', () => {
    const attest = cmd('RecordAttestation', minute(41), { corridor_id: CORRIDOR_ID, attestation_digest_sha256: digest('a1') });
    given(EXHAUSTED).when(attest).then(refused('transition-not-allowed', /is SLASHED; attesting needs a bond that is ACTIVE/));
    given(UNBONDING).when(attest).then(refused('transition-not-allowed', /is UNBONDING/));
    given([]).when(attest).then(refused('not-found'));
  });

  it('refuses an attestation digest that is not a digest', () => {
    given(POSTED).when(cmd('RecordAttestation', minute(1), { corridor_id: CORRIDOR_ID, attestation_digest_sha256: 'abc' })).then(refused('invalid-command', /attestation_digest_sha256/));
  });
});

describe('SlashBond: percentages of the original collateral, never below zero', () => {
  it.each([
    ['availability', 100, '10.005', '990.495'],
    ['liveness', 1000, '100.05', '900.45'],
    ['false_attestation', 5000, '500.25', '500.25'],
  ])('slashes %s at %i basis points of 1000.5', (offence, bp, amount, remaining) => {
    given(POSTED).when(slash(offence, bundle('I-1'))).then([ev.slashedFor(offence, 'I-1', bp, amount, '1000.5', remaining, minute(10), digest('I-1'))]);
  });

  it('slashes each availability incident on the original collateral, not on what is left', () => {
    const once = history(...POSTED, ev.slashedFor('availability', 'A-1', 100, '10.005', '1000.5', '990.495', minute(10), digest('A-1')));
    given(once).when(slash('availability', bundle('A-2'), minute(11))).then([ev.slashedFor('availability', 'A-2', 100, '10.005', '1000.5', '980.49', minute(11), digest('A-2'))]);
  });

  it('takes at most what remains', () => {
    const halved = history(...POSTED, ev.slashedFor('false_attestation', 'F-1', 5000, '500.25', '1000.5', '500.25', minute(10), digest('F-1')));
    const state = given(halved).when(slash('liveness', bundle('L-1'), minute(11))).then([ev.slashedFor('liveness', 'L-1', 1000, '100.05', '1000.5', '400.2', minute(11), digest('L-1'))]);
    expect(state.bond?.slashed).toBe('600.3');
    given([...halved, ev.slashedFor('false_attestation', 'F-2', 5000, '500.25', '1000.5', '0', minute(11), digest('F-2'))] as WatcherBondEvent[])
      .when(slash('availability', bundle('A-9'), minute(12)))
      .then([ev.slashedFor('availability', 'A-9', 100, '0', '1000.5', '0', minute(12), digest('A-9'))]);
  });

  it('slashes equivocation in full, on two conflicting attestations signed by the watcher', () => {
    const a = watcherAttestation(42, ROOT_2);
    const b = watcherAttestation(42, ROOT_3);
    const state = given(POSTED)
      .when(slash('equivocation', { attestations: [a, b] }))
      .then([
        {
          type: 'watcher-bond.slashed.v1',
          data: {
            watcher_id: WATCHER_ID,
            bond_id: BOND_ID,
            at: minute(10),
            offence: 'equivocation',
            incident: `equivocation:${CORRIDOR_ID}:42`,
            basis_points: 10000,
            amount: '1000.5',
            collateral: '1000.5',
            remaining: '0',
            evidence: { kind: 'conflicting-attestations', corridor_id: CORRIDOR_ID, receipt_count: 42, attestations: [evidenceOf(a, [WATCHER_ID]), evidenceOf(b, [WATCHER_ID])] },
          },
        },
      ] as WatcherBondEvent[]);
    expect(state.status).toBe('SLASHED');
  });

  it('refuses equivocation evidence that does not prove equivocation', () => {
    const a = watcherAttestation(42, ROOT_2);
    given(POSTED).when(slash('equivocation', { attestations: [a, watcherAttestation(42, ROOT_2)] })).then(refused('invalid-evidence', /agree on the final state root/));
    given(POSTED).when(slash('equivocation', { attestations: [a, watcherAttestation(43, ROOT_3)] })).then(refused('invalid-evidence', /same receipt_count/));
    given(POSTED).when(slash('equivocation', { attestations: [a, watcherAttestation(42, ROOT_3, stranger)] })).then(refused('invalid-evidence', /attestation 1 is not signed by watcher/));
    given(POSTED).when(slash('equivocation', { attestations: [a, tamperSignature(watcherAttestation(42, ROOT_3))] })).then(refused('invalid-evidence', /attestation 1 has no valid proof/));
    given(POSTED).when(slash('equivocation', { attestations: [a] })).then(refused('invalid-evidence', /exactly two/));
    const unshaped = issueCredential({ types: ['MSEZCorridorWatcherAttestationCredential'], subject: { corridor_id: CORRIDOR_ID, receipt_count: 42, final_state_root: ROOT_3 }, signers: [WATCHER] });
    given(POSTED).when(slash('equivocation', { attestations: [a, unshaped] })).then(refused('invalid-evidence', /attestation 1 does not match the vc.corridor-watcher-attestation schema/));
    given(POSTED).when(slash('equivocation', { attestations: [a, watcherAttestation(42, ROOT_3, undefined, OTHER_CORRIDOR)] })).then(refused('invalid-evidence', /different corridors/));
  });

  it('refuses equivocation on a corridor the bond does not cover', () => {
    const outside = 'corridor:elsewhere';
    given(POSTED)
      .when(slash('equivocation', { attestations: [watcherAttestation(1, ROOT_2, undefined, outside), watcherAttestation(1, ROOT_3, undefined, outside)] }))
      .then(refused('out-of-scope', /corridor:elsewhere is outside/));
  });

  it('bans a colluding watcher after taking everything', () => {
    const state = given(POSTED)
      .when(slash('collusion', bundle('C-1')))
      .then([
        ev.slashedFor('collusion', 'C-1', 10000, '1000.5', '1000.5', '0', minute(10), digest('C-1')),
        { type: 'watcher-bond.banned.v1', data: { watcher_id: WATCHER_ID, at: minute(10), offence: 'collusion', incident: 'collusion:C-1' } },
      ] as WatcherBondEvent[]);
    expect(state.status).toBe('BANNED');
  });

  it('never slashes one incident twice', () => {
    const once = history(...POSTED, ev.slashedFor('availability', 'A-1', 100, '10.005', '1000.5', '990.495', minute(10), digest('A-1')));
    given(once).when(slash('availability', bundle('A-1'), minute(11))).then(refused('already-slashed', 'incident availability:A-1 was already slashed'));
  });

  it('refuses a slash without evidence, with malformed evidence, or for an unknown offence', () => {
    given(POSTED).when(slash('availability', undefined)).then(refused('evidence-missing', 'slashing for availability needs evidence'));
    given(POSTED).when(slash('availability', { incident_id: 'A-1', corridor_id: CORRIDOR_ID, evidence_digest_sha256: 'x' })).then(refused('invalid-evidence', /evidence_digest_sha256/));
    given(POSTED).when(slash('availability', bundle('A-1', 'corridor:elsewhere'))).then(refused('out-of-scope'));
    given(POSTED).when(slash('laziness', bundle('A-1'))).then(refused('invalid-command', /offence must be one of equivocation, false_attestation, availability, liveness, collusion/));
  });

  it('still slashes a bond that is unbonding (misbehaviour before the unlock is punishable), but not a withdrawn one', () => {
    const state = given(UNBONDING).when(slash('liveness', bundle('L-1'), minute(41))).then([ev.slashedFor('liveness', 'L-1', 1000, '100.05', '1000.5', '900.45', minute(41), digest('L-1'))]);
    expect(state.status).toBe('UNBONDING');
    given(WITHDRAWN).when(slash('liveness', bundle('L-1'), '2025-03-09T00:00:00Z')).then(refused('transition-not-allowed', /is NONE/));
  });
});

describe('TopUpBond', () => {
  it('adds to the collateral and to what remains', () => {
    const after = history(...POSTED, ev.slashedFor('availability', 'A-1', 100, '10.005', '1000.5', '990.495', minute(10), digest('A-1')));
    given(after).when(cmd('TopUpBond', minute(20), { amount: '9.505' })).then([ev.toppedUp('9.505', '1010.005', '1000', minute(20))]);
  });

  it('reactivates an exhausted bond', () => {
    const state = given(EXHAUSTED).when(cmd('TopUpBond', minute(20), { amount: '500' })).then([ev.toppedUp('500', '1500.5', '500', minute(20))]);
    expect(state.status).toBe('ACTIVE');
  });

  it('refuses a top-up while unbonding, and a malformed amount', () => {
    given(UNBONDING).when(cmd('TopUpBond', minute(41), { amount: '1' })).then(refused('transition-not-allowed', /is UNBONDING; a top-up needs a bond that is ACTIVE or SLASHED/));
    given(POSTED).when(cmd('TopUpBond', minute(20), { amount: '1e2' })).then(refused('invalid-amount'));
  });
});

describe('unbonding and withdrawal', () => {
  it('starts unbonding with an unlock time one unlock period (7 days) later', () => {
    given(POSTED).when(cmd('StartUnbonding', minute(40))).then([ev.unbonding(minute(40), '2025-03-08T09:40:00Z')]);
  });

  it('refuses to unbond twice', () => {
    given(UNBONDING).when(cmd('StartUnbonding', minute(41))).then(refused('transition-not-allowed', /is UNBONDING; unbonding needs/));
  });

  it('refuses a withdrawal before the unlock time, and allows it at the unlock time', () => {
    given(UNBONDING).when(cmd('WithdrawBond', '2025-03-08T09:39:59Z')).then(refused('still-locked', 'bond bond-2025-0001 unlocks at 2025-03-08T09:40:00Z; it cannot be withdrawn at 2025-03-08T09:39:59Z'));
    const state = given(UNBONDING).when(cmd('WithdrawBond', '2025-03-08T09:40:00Z')).then([ev.withdrawn('2025-03-08T09:40:00Z', '1000.5')]);
    expect(state.status).toBe('NONE');
    expect(state.bond).toBeNull();
  });

  it('withdraws only what remains after slashing', () => {
    const slashed = history(...POSTED, ev.slashedFor('liveness', 'L-1', 1000, '100.05', '1000.5', '900.45', minute(10), digest('L-1')), ev.unbonding(minute(40), '2025-03-08T09:40:00Z'));
    given(slashed).when(cmd('WithdrawBond', '2025-03-10T00:00:00Z')).then([ev.withdrawn('2025-03-10T00:00:00Z', '900.45')]);
  });

  it('refuses to withdraw a bond that is not unbonding', () => {
    given(POSTED).when(cmd('WithdrawBond', minute(50))).then(refused('transition-not-allowed', /is ACTIVE; withdrawal needs a bond that is UNBONDING/));
  });
});
