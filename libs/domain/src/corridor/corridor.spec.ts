import {
  addProof,
  buildForkAlarmCredential,
  buildForkResolutionCredential,
  buildReceipt,
  canonicalize,
  digestOf,
  makeTransitionEnvelope,
  type JsonObject,
} from '@corridor/protocol';
import { refused, specFor, tamperSignature, issueCredential, testKey } from '../testing';
import {
  CORRIDOR_ID,
  FORK,
  ROOT_1,
  ROOT_2,
  ROOT_3,
  agreementCredential,
  corridorEvents as ev,
  definitionCredential,
  evidenceOf,
  forkAlarmCredential,
  payloadDigest,
  forkResolutionCredential,
  lifecycleAuthorization,
  minute,
  outsider,
  trustAnchorsDocument,
  watcherKey,
  zoneA,
  zoneB,
} from '../testing/corridor-fixtures';
import type { CorridorCommand } from './commands';
import { corridorDecider } from './decider';
import type { CorridorEvent } from './events';

const { given } = specFor(corridorDecider);
const history = (...events: unknown[]) => events as CorridorEvent[];
const cmd = (type: CorridorCommand['type'], at: string, data: JsonObject): CorridorCommand => ({ type, at, data }) as CorridorCommand;

const DRAFT = history(ev.created());
const PENDING = history(...DRAFT, ev.submitted());
const ACTIVE = history(...PENDING, ev.activated());
const HALTED = history(...ACTIVE, ev.halted());
const suspended = ev.authorized('corridor.suspended.v1', 'suspend', 'ACTIVE', 'SUSPENDED', minute(50), minute(49));
const SUSPENDED = history(...ACTIVE, suspended);
const deprecated = ev.authorized('corridor.deprecated.v1', 'deprecate', 'ACTIVE', 'DEPRECATED', minute(50), minute(49));
const DEPRECATED = history(...ACTIVE, deprecated);

describe('CreateCorridor', () => {
  const create = (data: JsonObject, at = minute(0)) => cmd('CreateCorridor', at, data);

  it('creates the corridor in the lifecycle initial state, DRAFT, with its trust anchors', () => {
    given([]).when(create({ corridor_id: CORRIDOR_ID, trust_anchors: trustAnchorsDocument() })).then([ev.created()]);
  });

  it('refuses to create a corridor twice', () => {
    given(DRAFT)
      .when(create({ corridor_id: CORRIDOR_ID, trust_anchors: trustAnchorsDocument() }, minute(1)))
      .then(refused('already-exists', /already exists \(DRAFT\)/));
  });

  it('refuses trust anchors without a zone authority: the corridor could never be suspended', () => {
    const anchors = { trust_anchors: [{ identifier: watcherKey.did, allowed_attestations: ['corridor_watcher_attestation'] }] };
    given([]).when(create({ corridor_id: CORRIDOR_ID, trust_anchors: anchors })).then(refused('invalid-command', /at least one zone_authority/));
  });

  it('refuses a trust anchor that is not a did:key', () => {
    const anchors = { trust_anchors: [{ identifier: 'did:web:zone.example', allowed_attestations: ['zone_authority'] }] };
    given([]).when(create({ corridor_id: CORRIDOR_ID, trust_anchors: anchors })).then(refused('invalid-command', /trust_anchors\[0\]\.identifier/));
  });

  it('refuses a trust anchor without roles, and the same DID listed twice', () => {
    const noRoles = { trust_anchors: [{ identifier: zoneA.did, allowed_attestations: [] }] };
    given([]).when(create({ corridor_id: CORRIDOR_ID, trust_anchors: noRoles })).then(refused('invalid-command', /allowed_attestations/));
    const twice = { trust_anchors: [{ identifier: zoneA.did, allowed_attestations: ['zone_authority'] }, { identifier: `${zoneA.did}#key-2`, allowed_attestations: ['corridor_agreement'] }] };
    given([]).when(create({ corridor_id: CORRIDOR_ID, trust_anchors: twice })).then(refused('invalid-command', /listed twice/));
  });

  it('refuses a missing corridor id and a time that is not YYYY-MM-DDTHH:MM:SSZ', () => {
    given([]).when(create({ corridor_id: '', trust_anchors: trustAnchorsDocument() })).then(refused('invalid-command', /corridor_id/));
    given([]).when(create({ corridor_id: CORRIDOR_ID, trust_anchors: trustAnchorsDocument() }, '2025-03-01T09:00:00.250Z')).then(refused('invalid-command', /at must be/));
    given([]).when(create({ corridor_id: CORRIDOR_ID, trust_anchors: trustAnchorsDocument() }, '2025-02-30T09:00:00Z')).then(refused('invalid-command', /at must be/));
  });

  it('refuses any other command before the corridor exists', () => {
    given([]).when(cmd('SubmitCorridor', minute(1), { corridor_id: CORRIDOR_ID, evidence: [definitionCredential()] })).then(refused('not-found'));
  });
});

describe('submit: DRAFT → PENDING with a MSEZCorridorDefinitionCredential', () => {
  const submit = (evidence: unknown[], at = minute(1), corridor_id = CORRIDOR_ID) => cmd('SubmitCorridor', at, { corridor_id, evidence: evidence as JsonObject[] });

  it('moves to PENDING and records the definition credential and its payload digest', () => {
    given(DRAFT).when(submit([definitionCredential()])).then([ev.submitted()]);
  });

  it('refuses without evidence', () => {
    given(DRAFT).when(submit([])).then(refused('evidence-missing', 'submit from DRAFT requires evidence MSEZCorridorDefinitionCredential; none was given'));
  });

  it('refuses evidence of another type', () => {
    given(DRAFT).when(submit([forkAlarmCredential()])).then(refused('evidence-missing', /requires evidence MSEZCorridorDefinitionCredential; the evidence given has types VerifiableCredential, MSEZCorridorForkAlarmCredential/));
  });

  it('refuses a definition whose signature does not verify', () => {
    given(DRAFT).when(submit([tamperSignature(definitionCredential())])).then(refused('invalid-evidence', /evidence\[0\] has no valid proof: proof 0 .*signature/));
  });

  it('refuses an unsigned definition', () => {
    const { proof: _proof, ...unsigned } = definitionCredential();
    given(DRAFT).when(submit([unsigned])).then(refused('invalid-evidence', 'evidence[0] carries no proof'));
  });

  it("refuses a definition of another corridor", () => {
    given(DRAFT).when(submit([definitionCredential('corridor:other')])).then(refused('invalid-evidence', /about corridor "corridor:other"/));
  });

  it('refuses two definitions at once', () => {
    const second = issueCredential({ types: ['MSEZCorridorDefinitionCredential'], subject: { corridor_id: CORRIDOR_ID, ruleset: 'other' }, signers: [zoneB] });
    given(DRAFT).when(submit([definitionCredential(), second])).then(refused('invalid-evidence', /exactly one MSEZCorridorDefinitionCredential/));
  });

  it('refuses submit outside DRAFT', () => {
    given(PENDING).when(submit([definitionCredential()], minute(3))).then(refused('transition-not-allowed', 'corridor corridor:uae-kaz-trade-01 is PENDING; submit is allowed only from DRAFT'));
  });

  it('refuses a command addressed to another corridor, and a command dated before the last event', () => {
    given(DRAFT).when(submit([definitionCredential()], minute(1), 'corridor:other')).then(refused('aggregate-mismatch'));
    given(PENDING).when(cmd('ActivateCorridor', minute(0), { corridor_id: CORRIDOR_ID, evidence: [agreementCredential()] })).then(refused('clock-regression', /earlier than the last event at 2025-03-01T09:01:00Z/));
  });
});

describe('activate: PENDING → ACTIVE when the agreement credentials meet their activation thresholds', () => {
  const activate = (evidence: unknown[]) => cmd('ActivateCorridor', minute(2), { corridor_id: CORRIDOR_ID, evidence: evidence as JsonObject[] });

  it('activates with both zone authorities signing a 2-of-2 agreement, recording the agreement set digest', () => {
    given(PENDING).when(activate([agreementCredential()])).then([ev.activated()]);
  });

  it('activates with one agreement credential per party (party-specific pattern), recording their pinned lawpacks', () => {
    const LAWPACK_A = 'c'.repeat(64);
    const LAWPACK_B = 'b'.repeat(64);
    const partyVc = (key: typeof zoneA, lawpack: string) =>
      issueCredential({
        types: ['MSEZCorridorAgreementCredential'],
        subject: {
          corridor_id: CORRIDOR_ID,
          definition_payload_sha256: payloadDigest(definitionCredential()),
          participants: [
            { id: zoneA.did, role: 'zone_authority' },
            { id: zoneB.did, role: 'zone_authority' },
          ],
          activation: { thresholds: [{ role: 'zone_authority', required: 2, of: 2 }] },
          party: { id: key.did, role: 'zone_authority' },
          commitment: 'agree',
          pinned_lawpacks: [{ jurisdiction_id: 'test', domain: 'trade', lawpack_digest_sha256: lawpack }],
        },
        signers: [key],
      });
    const a = partyVc(zoneA, LAWPACK_A);
    const b = partyVc(zoneB, LAWPACK_B);
    const expected = {
      type: 'corridor.activated.v1',
      data: {
        corridor_id: CORRIDOR_ID,
        at: minute(2),
        transition: 'activate',
        from_state: 'PENDING',
        to_state: 'ACTIVE',
        evidence: [evidenceOf(a, [zoneA.did]), evidenceOf(b, [zoneB.did])],
        authorization: null,
        facts: {
          agreement: {
            agreement_set_sha256: digestOf({
              agreement_payload_sha256: [payloadDigest(a), payloadDigest(b)].sort(),
              corridor_id: CORRIDOR_ID,
              definition_payload_sha256: payloadDigest(definitionCredential()),
            }),
            signed_parties: [zoneA.did, zoneB.did].sort(),
            thresholds: [{ role: 'zone_authority', required: 2, of: 2, participants: 2, signed: 2, satisfied: true }],
            lawpack_digest_set: [LAWPACK_B, LAWPACK_A],
          },
        },
      },
    } as CorridorEvent;
    const state = given(PENDING).when(activate([a, b])).then([expected]);
    expect(state.lifecycle).toBe('ACTIVE');
  });

  it('refuses when a party commits to something other than agreeing', () => {
    const vc = (key: typeof zoneA, commitment: string) =>
      issueCredential({
        types: ['MSEZCorridorAgreementCredential'],
        subject: {
          corridor_id: CORRIDOR_ID,
          definition_payload_sha256: payloadDigest(definitionCredential()),
          participants: [{ id: zoneA.did, role: 'zone_authority' }, { id: zoneB.did, role: 'zone_authority' }],
          activation: { thresholds: [{ role: 'zone_authority', required: 2, of: 2 }] },
          party: { id: key.did, role: 'zone_authority' },
          commitment,
        },
        signers: [key],
      });
    given(PENDING).when(activate([vc(zoneA, 'agree'), vc(zoneB, 'reject')])).then(refused('thresholds-not-met', /commitment 'reject' blocks activation/));
  });

  it('refuses when only one of the two required zone authorities signed', () => {
    given(PENDING).when(activate([agreementCredential([zoneA])])).then(refused('thresholds-not-met', /zone_authority: 1 signed, 2 required/));
  });

  it('refuses an agreement bound to another definition', () => {
    const vc = issueCredential({
      types: ['MSEZCorridorAgreementCredential'],
      subject: {
        corridor_id: CORRIDOR_ID,
        definition_payload_sha256: ROOT_1,
        participants: [{ id: zoneA.did, role: 'zone_authority' }, { id: zoneB.did, role: 'zone_authority' }],
        activation: { thresholds: [{ role: 'zone_authority', required: 2, of: 2 }] },
      },
      signers: [zoneA, zoneB],
    });
    given(PENDING).when(activate([vc])).then(refused('invalid-evidence', /definition_payload_sha256 mismatch/));
  });

  it('refuses an agreement co-signed by someone the trust anchors do not allow to sign agreements', () => {
    given(PENDING).when(activate([agreementCredential([zoneA, zoneB, outsider])])).then(refused('invalid-evidence', /not authorized for corridor_agreement/));
  });

  it('refuses without an agreement credential', () => {
    given(PENDING).when(activate([definitionCredential()])).then(refused('evidence-missing', /requires evidence MSEZCorridorAgreementCredential/));
  });

  it('refuses activate from DRAFT', () => {
    given(DRAFT).when(activate([agreementCredential()])).then(refused('transition-not-allowed', /is DRAFT; activate is allowed only from PENDING/));
  });
});

describe('halt: ACTIVE → HALTED with a MSEZCorridorForkAlarmCredential', () => {
  const halt = (evidence: unknown[], at = minute(31)) => cmd('HaltCorridor', at, { corridor_id: CORRIDOR_ID, evidence: evidence as JsonObject[] });

  it('halts and records the fork it was halted for', () => {
    const state = given(ACTIVE).when(halt([forkAlarmCredential()])).then([ev.halted()]);
    expect(state.open_fork).toEqual(FORK);
  });

  it('refuses an alarm naming the same next_root twice (a duplicate, not a fork)', () => {
    given(ACTIVE).when(halt([forkAlarmCredential({ ...FORK, next_root_b: ROOT_2 })])).then(refused('invalid-evidence', /duplicates, not a fork/));
  });

  it('refuses an alarm without a valid prev_root or sequence', () => {
    given(ACTIVE).when(halt([forkAlarmCredential({ ...FORK, prev_root: 'ABC' })])).then(refused('invalid-evidence', /does not match the vc.corridor-fork-alarm schema: \/credentialSubject\/prev_root/));
    given(ACTIVE).when(halt([forkAlarmCredential({ ...FORK, sequence: -1 })])).then(refused('invalid-evidence', /vc.corridor-fork-alarm schema: \/credentialSubject\/sequence/));
  });

  it('accepts a fork at sequence 0 as sequence 0', () => {
    const state = given(ACTIVE).when(halt([forkAlarmCredential({ ...FORK, sequence: 0 })])).then([
      { ...ev.halted(), data: { ...ev.halted().data, evidence: [evidenceOf(forkAlarmCredential({ ...FORK, sequence: 0 }), [watcherKey.did])], facts: { fork: { ...FORK, sequence: 0 } } } },
    ] as CorridorEvent[]);
    expect(state.open_fork?.sequence).toBe(0);
  });

  it('refuses halt without evidence, and halt of a corridor that is not ACTIVE', () => {
    given(ACTIVE).when(halt([])).then(refused('evidence-missing', /halt from ACTIVE requires evidence MSEZCorridorForkAlarmCredential/));
    given(PENDING).when(halt([forkAlarmCredential()])).then(refused('transition-not-allowed', /is PENDING; halt is allowed only from ACTIVE/));
  });
});

describe('credentials built by the protocol tools are accepted as they are', () => {
  it('halts on a fork alarm the protocol built from two conflicting signed receipts, and resumes on its resolution', () => {
    const receipt = (payload: JsonObject) =>
      addProof(
        buildReceipt({
          corridor_id: CORRIDOR_ID,
          sequence: 3,
          timestamp: minute(20),
          prev_root: ROOT_1,
          lawpack_digest_set: [],
          ruleset_digest_set: [],
          transition: makeTransitionEnvelope({ kind: 'trade.order.placed.v1', payload }),
        }),
        zoneA,
        { created: minute(20) },
      );
    const [a, b] = [receipt({ order: 1 }), receipt({ order: 2 })];
    const bytes = (r: JsonObject) => Buffer.from(canonicalize(r) + '\n');
    const alarm = addProof(
      buildForkAlarmCredential({
        corridor_id: CORRIDOR_ID,
        receipt_a: { bytes: bytes(a), uri: 'receipts/3a.json' },
        receipt_b: { bytes: bytes(b), uri: 'receipts/3b.json' },
        issuer: watcherKey.did,
        id: 'urn:test:alarm',
        now: () => new Date(Date.parse(minute(30))),
      }),
      watcherKey,
      { created: minute(30) },
    );
    const fork = { sequence: 3, prev_root: ROOT_1, next_root_a: a.next_root, next_root_b: b.next_root };
    const halted = given(ACTIVE).when(cmd('HaltCorridor', minute(31), { corridor_id: CORRIDOR_ID, evidence: [alarm] })).then([
      { type: 'corridor.halted.v1', data: { ...ev.halted().data, evidence: [evidenceOf(alarm, [watcherKey.did])], facts: { fork } } },
    ] as CorridorEvent[]);
    expect(halted.open_fork).toEqual(fork);

    const resolution = addProof(
      buildForkResolutionCredential({
        corridor_id: CORRIDOR_ID,
        sequence: 3,
        prev_root: ROOT_1,
        chosen_next_root: a.next_root,
        issuer: zoneB.did,
        id: 'urn:test:resolution',
        now: () => new Date(Date.parse(minute(40))),
      }),
      zoneB,
      { created: minute(40) },
    );
    const resumed = given([...ACTIVE, { type: 'corridor.halted.v1', data: { ...ev.halted().data, evidence: [evidenceOf(alarm, [watcherKey.did])], facts: { fork } } }] as CorridorEvent[])
      .when(cmd('ResumeCorridorFromHalt', minute(41), { corridor_id: CORRIDOR_ID, evidence: [resolution] }))
      .then([
        {
          type: 'corridor.resumed-from-halt.v1',
          data: { ...ev.resumedFromHalt().data, evidence: [evidenceOf(resolution, [zoneB.did])], facts: { resolution: { sequence: 3, prev_root: ROOT_1, chosen_next_root: a.next_root } } },
        },
      ] as CorridorEvent[]);
    expect(resumed.lifecycle).toBe('ACTIVE');
  });
});

describe('suspend: ACTIVE → SUSPENDED, authorized by a zone authority', () => {
  const suspend = (authorization?: JsonObject, at = minute(50)) =>
    cmd('SuspendCorridor', at, { corridor_id: CORRIDOR_ID, ...(authorization === undefined ? {} : { authorization }) });

  it('suspends with a lifecycle-transition credential signed by a zone authority', () => {
    given(ACTIVE).when(suspend(lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(49)))).then([suspended] as CorridorEvent[]);
  });

  it('refuses without an authorization', () => {
    given(ACTIVE).when(suspend()).then(refused('unauthorized', 'suspend from ACTIVE must be authorized by a zone_authority: no MSEZCorridorLifecycleTransitionCredential was given'));
  });

  it('refuses an authorization signed by a key that is not a zone authority', () => {
    given(ACTIVE).when(suspend(lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(49), outsider))).then(refused('unauthorized', /none of whom is a zone_authority/));
    given(ACTIVE).when(suspend(lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(49), watcherKey))).then(refused('unauthorized', /none of whom is a zone_authority/));
  });

  it('refuses an authorization for another move', () => {
    given(ACTIVE).when(suspend(lifecycleAuthorization('ACTIVE', 'DEPRECATED', minute(49)))).then(refused('unauthorized', 'the authorization is for ACTIVE → DEPRECATED, not ACTIVE → SUSPENDED'));
  });

  it('refuses an authorization dated before the corridor became ACTIVE (a replayed one) or after the command', () => {
    given(ACTIVE).when(suspend(lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(1)))).then(refused('unauthorized', /before the corridor entered ACTIVE at 2025-03-01T09:02:00Z/));
    given(ACTIVE).when(suspend(lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(51)))).then(refused('unauthorized', /after the command time/));
  });

  it('refuses an authorization that is not a lifecycle-transition credential, or whose signature fails', () => {
    given(ACTIVE).when(suspend(definitionCredential())).then(refused('unauthorized', /must be a MSEZCorridorLifecycleTransitionCredential/));
    given(ACTIVE).when(suspend(tamperSignature(lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(49))))).then(refused('unauthorized', /no valid proof/));
  });

  it('refuses to suspend a HALTED corridor', () => {
    given(HALTED).when(suspend(lifecycleAuthorization('HALTED', 'SUSPENDED', minute(49)))).then(refused('transition-not-allowed', /is HALTED; suspend is allowed only from ACTIVE/));
  });
});

describe('resume_from_halt: HALTED → ACTIVE with the resolution of the fork that halted it', () => {
  const resume = (evidence: unknown[], at = minute(41)) => cmd('ResumeCorridorFromHalt', at, { corridor_id: CORRIDOR_ID, evidence: evidence as JsonObject[] });

  it('resumes and closes the fork', () => {
    const state = given(HALTED).when(resume([forkResolutionCredential(ROOT_2)])).then([ev.resumedFromHalt()]);
    expect(state.open_fork).toBeNull();
  });

  it('refuses a resolution of another fork', () => {
    given(HALTED).when(resume([forkResolutionCredential(ROOT_2, { sequence: 8, prev_root: ROOT_1 })])).then(refused('invalid-evidence', /resolves the fork at sequence 8 .* halted for the fork at sequence 7/));
  });

  it('refuses a resolution that is not shaped as the protocol schema says', () => {
    const vc = issueCredential({
      types: ['MSEZCorridorForkResolutionCredential'],
      subject: { corridor_id: CORRIDOR_ID, sequence: FORK.sequence, prev_root: FORK.prev_root, chosen_next_root: ROOT_2 },
      signers: [zoneA],
    });
    given(HALTED).when(resume([vc])).then(refused('invalid-evidence', /does not match the vc.corridor-fork-resolution schema/));
  });

  it('refuses a resolution choosing a root that is neither branch', () => {
    given(HALTED).when(resume([forkResolutionCredential(ROOT_1)])).then(refused('invalid-evidence', /neither branch of the fork/));
  });

  it('refuses without a resolution, and from SUSPENDED', () => {
    given(HALTED).when(resume([])).then(refused('evidence-missing', /MSEZCorridorForkResolutionCredential/));
    given(SUSPENDED).when(resume([forkResolutionCredential(ROOT_2)], minute(60))).then(refused('transition-not-allowed', /is SUSPENDED; resume_from_halt is allowed only from HALTED/));
  });
});

describe('resume_from_suspension: SUSPENDED → ACTIVE, authorized by a zone authority', () => {
  const resume = (authorization?: JsonObject) =>
    cmd('ResumeCorridorFromSuspension', minute(60), { corridor_id: CORRIDOR_ID, ...(authorization === undefined ? {} : { authorization }) });

  it('resumes', () => {
    const resumed = ev.authorized('corridor.resumed-from-suspension.v1', 'resume_from_suspension', 'SUSPENDED', 'ACTIVE', minute(60), minute(55));
    given(SUSPENDED).when(resume(lifecycleAuthorization('SUSPENDED', 'ACTIVE', minute(55)))).then([resumed] as CorridorEvent[]);
  });

  it('refuses without an authorization, and the authorization of the suspension itself', () => {
    given(SUSPENDED).when(resume()).then(refused('unauthorized', /resume_from_suspension from SUSPENDED must be authorized/));
    given(SUSPENDED).when(resume(lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(49)))).then(refused('unauthorized', /is for ACTIVE → SUSPENDED/));
  });
});

describe('deprecate: from ACTIVE, HALTED or SUSPENDED to the terminal DEPRECATED, authorized by a zone authority', () => {
  const deprecate = (from: string, at = minute(70), signer = zoneB) =>
    cmd('DeprecateCorridor', at, { corridor_id: CORRIDOR_ID, authorization: lifecycleAuthorization(from, 'DEPRECATED', minute(65), signer) });

  it.each([
    ['ACTIVE', ACTIVE],
    ['HALTED', HALTED],
    ['SUSPENDED', SUSPENDED],
  ])('deprecates a corridor that is %s', (from, before) => {
    const expected = {
      type: 'corridor.deprecated.v1',
      data: {
        corridor_id: CORRIDOR_ID,
        at: minute(70),
        transition: 'deprecate',
        from_state: from,
        to_state: 'DEPRECATED',
        evidence: [],
        authorization: evidenceOf(lifecycleAuthorization(from, 'DEPRECATED', minute(65), zoneB), [zoneB.did]),
        facts: {},
      },
    };
    given(before).when(deprecate(from)).then([expected] as CorridorEvent[]);
  });

  it('refuses to deprecate a corridor that never became active', () => {
    given(PENDING).when(deprecate('PENDING')).then(refused('transition-not-allowed', /is PENDING; deprecate is allowed only from ACTIVE, HALTED, SUSPENDED/));
  });

  it('refuses every lifecycle command once DEPRECATED, which is terminal', () => {
    given(DEPRECATED).when(deprecate('DEPRECATED')).then(refused('transition-not-allowed', /DEPRECATED is terminal/));
    given(DEPRECATED).when(cmd('ResumeCorridorFromSuspension', minute(70), { corridor_id: CORRIDOR_ID })).then(refused('transition-not-allowed', /DEPRECATED is terminal/));
  });
});

describe('RecordCorridorTransition: registered kinds, only while ACTIVE', () => {
  const record = (transition: unknown, at = minute(10)) => cmd('RecordCorridorTransition', at, { corridor_id: CORRIDOR_ID, transition: transition as JsonObject });
  const invoice = { invoice_id: 'INV-2025-0042', amount: '1250.50', currency: 'USD' };

  it('records a trade transition as the protocol transition envelope, numbering it', () => {
    const recorded = {
      type: 'corridor.transition-recorded.v1',
      data: {
        corridor_id: CORRIDOR_ID,
        at: minute(10),
        ordinal: 1,
        transition: { type: 'MSEZTransitionEnvelope', kind: 'trade.invoice.issued.v1', payload: invoice, payload_sha256: digestOf(invoice) },
      },
    } as CorridorEvent;
    const state = given(ACTIVE).when(record({ kind: 'trade.invoice.issued.v1', payload: invoice })).then([recorded]);
    expect(state.transitions_recorded).toBe(1);
    const second = { ...recorded, data: { ...recorded.data, at: minute(11), ordinal: 2 } } as CorridorEvent;
    given([...ACTIVE, recorded]).when(record({ kind: 'trade.invoice.issued.v1', payload: invoice }, minute(11))).then([second]);
  });

  it.each(['settlement.instruction.v1', 'compliance.attestation.kyc.v1', 'sanctions.screening.v1', 'licence.renewed.v1', 'arbitration.enforcement.ruling.v1', 'migration.step.completed.v1'])(
    'accepts the registered kind %s',
    (kind) => {
      const state = given(ACTIVE).when(record({ kind, payload: {} })).then([
        { type: 'corridor.transition-recorded.v1', data: { corridor_id: CORRIDOR_ID, at: minute(10), ordinal: 1, transition: { type: 'MSEZTransitionEnvelope', kind, payload: {}, payload_sha256: digestOf({}) } } },
      ] as CorridorEvent[]);
      expect(state.transitions_recorded).toBe(1);
    },
  );

  it('refuses kinds the registry does not list, including a bare family prefix', () => {
    given(ACTIVE).when(record({ kind: 'payroll.run.v1', payload: {} })).then(refused('unknown-transition-kind', /"payroll.run.v1" is not in the transition-kind registry/));
    given(ACTIVE).when(record({ kind: 'trade', payload: {} })).then(refused('unknown-transition-kind'));
    given(ACTIVE).when(record({ kind: 'compliance.other.v1', payload: {} })).then(refused('unknown-transition-kind'));
    given(ACTIVE).when(record(undefined)).then(refused('unknown-transition-kind', /"noop"/));
  });

  it('refuses a payload whose stated digest does not match, and a fractional number', () => {
    given(ACTIVE).when(record({ kind: 'trade.invoice.issued.v1', payload: invoice, payload_sha256: ROOT_3 })).then(refused('invalid-transition', /payload_sha256 mismatch/));
    given(ACTIVE).when(record({ kind: 'trade.invoice.issued.v1', payload: { amount: 1250.5 } })).then(refused('invalid-transition', /Floats are not allowed/));
  });

  it.each([
    ['DRAFT', DRAFT],
    ['PENDING', PENDING],
    ['HALTED', HALTED],
    ['SUSPENDED', SUSPENDED],
    ['DEPRECATED', DEPRECATED],
  ])('refuses transitions while the corridor is %s', (state, before) => {
    given(before).when(record({ kind: 'trade.invoice.issued.v1', payload: invoice }, minute(80))).then(
      refused('corridor-not-active', `corridor ${CORRIDOR_ID} is ${state}; transitions are accepted only in ACTIVE`),
    );
  });
});

describe('RecordWatcherQuorum', () => {
  const W1 = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
  const W2 = 'did:key:z6MkjchhfUsD6mmvni8mCdXHw216Xrm9bQe2mBH1P5RDjVJG';
  const quorum = (receipt_count: number, watchers = [W1, W2]) => ({
    receipt_count,
    final_state_root: ROOT_1,
    mmr_root: ROOT_2,
    required: 2,
    watchers,
    attestation_digests: watchers.map((_, i) => digestOf({ i })),
  });
  const reached = (receipt_count: number, at: string) => ({ type: 'corridor.watcher-quorum-reached.v1', data: { corridor_id: CORRIDOR_ID, at, quorum: quorum(receipt_count) } });
  const ACTIVE_CORRIDOR = history(ev.created(), ev.submitted(), ev.activated());

  it('records the head a quorum of watchers attested, on an active corridor', () => {
    given(ACTIVE_CORRIDOR).when(cmd('RecordWatcherQuorum', minute(20), { corridor_id: CORRIDOR_ID, quorum: quorum(5) })).then([reached(5, minute(20))]);
  });

  it('only moves finality forward: a quorum at or below the recorded one is stale', () => {
    given(history(...ACTIVE_CORRIDOR, reached(5, minute(20))))
      .when(cmd('RecordWatcherQuorum', minute(21), { corridor_id: CORRIDOR_ID, quorum: quorum(5) }))
      .then(refused('stale-quorum', /already reached watcher quorum at 5 receipts/));
  });

  it('refuses fewer watchers than required, repeated watchers, and a corridor without a state channel', () => {
    given(ACTIVE_CORRIDOR).when(cmd('RecordWatcherQuorum', minute(20), { corridor_id: CORRIDOR_ID, quorum: quorum(5, [W1]) })).then(refused('invalid-command', /needs 2 watchers, 1 were given/));
    given(ACTIVE_CORRIDOR).when(cmd('RecordWatcherQuorum', minute(20), { corridor_id: CORRIDOR_ID, quorum: quorum(5, [W1, W1]) })).then(refused('invalid-command', /distinct/));
    given(history(ev.created())).when(cmd('RecordWatcherQuorum', minute(20), { corridor_id: CORRIDOR_ID, quorum: quorum(5) })).then(refused('corridor-not-active', /no state channel/));
  });
});

describe('RotateSignerKey: a zone key replaced from a sequence of the state channel', () => {
  const newKeyA = testKey('zone authority A, rotated');
  const rotationVc = (signers = [newKeyA, zoneA], from = 0, previous = zoneA.did) =>
    issueCredential({
      types: ['MSEZCorridorKeyRotationCredential'],
      subject: { corridor_id: CORRIDOR_ID, previous_key: previous, new_key: newKeyA.did, effective_from_sequence: from },
      signers,
    });
  const rotate = (vc: JsonObject, at = minute(60)) => cmd('RotateSignerKey', at, { corridor_id: CORRIDOR_ID, evidence: [vc] });
  const roles = ['zone_authority', 'corridor_agreement', 'corridor_definition'];
  const rotated = (vc: JsonObject, signers: string[], reason: string, at = minute(60)) => ({
    type: 'corridor.signer-key-rotated.v1',
    data: {
      corridor_id: CORRIDOR_ID,
      at,
      rotation: { previous_key: zoneA.did, new_key: newKeyA.did, effective_from_sequence: 0, roles, reason },
      evidence: [evidenceOf(vc, signers)],
    },
  });

  it('a planned rotation, signed by the previous and the new key, may happen while ACTIVE', () => {
    const vc = rotationVc();
    given(ACTIVE).when(rotate(vc)).then([rotated(vc, [newKeyA.did, zoneA.did], 'planned')] as CorridorEvent[]);
  });

  it('the new key takes over the previous key as trust anchor: it authorizes, the previous key no longer does', () => {
    const vc = rotationVc();
    const after = history(...ACTIVE, rotated(vc, [newKeyA.did, zoneA.did], 'planned'));
    const suspendBy = (signer: typeof zoneA) => cmd('SuspendCorridor', minute(62), { corridor_id: CORRIDOR_ID, authorization: lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(61), signer) });
    given(after).when(suspendBy(zoneA)).then(refused('unauthorized', /none of whom is a zone_authority/));
    const state = given(after).when(suspendBy(newKeyA)).then([
      {
        type: 'corridor.suspended.v1',
        data: {
          corridor_id: CORRIDOR_ID,
          at: minute(62),
          transition: 'suspend',
          from_state: 'ACTIVE',
          to_state: 'SUSPENDED',
          evidence: [],
          authorization: evidenceOf(lifecycleAuthorization('ACTIVE', 'SUSPENDED', minute(61), newKeyA), [newKeyA.did]),
          facts: {},
        },
      },
    ] as CorridorEvent[]);
    expect(state.key_rotations).toEqual([{ previous_key: zoneA.did, new_key: newKeyA.did, effective_from_sequence: 0, roles, reason: 'planned' }]);
  });

  it('a compromised key: another zone authority signs with the new key, and only once the corridor is stopped (halt, rotate, resume)', () => {
    const vc = rotationVc([newKeyA, zoneB]);
    given(ACTIVE).when(rotate(vc)).then(refused('transition-not-allowed', /needs the corridor SUSPENDED or HALTED first/));
    given(SUSPENDED).when(rotate(vc)).then([rotated(vc, [newKeyA.did, zoneB.did], 'compromise')] as CorridorEvent[]);
    given(HALTED).when(rotate(vc)).then([rotated(vc, [newKeyA.did, zoneB.did], 'compromise')] as CorridorEvent[]);
  });

  it('refuses a rotation the new key did not sign, one no authority signed, a key not in the corridor, and a sequence already signed', () => {
    given(ACTIVE).when(rotate(rotationVc([zoneA]))).then(refused('invalid-evidence', /signed by the new key/));
    given(ACTIVE).when(rotate(rotationVc([newKeyA, outsider]))).then(refused('unauthorized', /previous key .* or by another zone_authority/));
    given(ACTIVE).when(rotate(rotationVc([newKeyA, outsider], 0, outsider.did))).then(refused('invalid-evidence', /not a current key/));
    const withReceipt = history(...ACTIVE, { type: 'corridor.transition-recorded.v1', data: { corridor_id: CORRIDOR_ID, at: minute(40), ordinal: 1, transition: makeTransitionEnvelope({ kind: 'trade.invoice.issued.v1', payload: {} }) } });
    given(withReceipt).when(rotate(rotationVc([newKeyA, zoneA], 0))).then(refused('invalid-evidence', /effective_from_sequence must be an integer ≥ 1/));
  });
});
