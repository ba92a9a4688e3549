import type { JsonObject } from '@corridor/protocol';
import { refused, specFor, tamperSignature } from '../testing';
import { CORRIDOR_ID, minute, outsider, payloadDigest } from '../testing/corridor-fixtures';
import {
  AGREEMENT,
  DISPUTE_ID,
  HEAD,
  ORDERS,
  RECEIPTS,
  arbitrator,
  claimant,
  consentCredential,
  digest,
  disputeCommand,
  disputeEvents as ev,
  fileDispute,
  proofOf,
  respondent,
  rulingCredential,
} from '../testing/dispute-fixtures';
import type { DisputeCommand } from './commands';
import { disputeDecider } from './decider';
import type { DisputeEvent } from './events';

const { given } = specFor(disputeDecider);
const history = (...events: unknown[]) => events as DisputeEvent[];
const cmd = (type: DisputeCommand['type'], at: string, data: object = {}) => disputeCommand(type, at, data) as DisputeCommand;

const FILED = history(ev.filed());
const UNDER_REVIEW = history(...FILED, ev.reviewStarted());
const COLLECTING = history(...UNDER_REVIEW, ev.evidenceOpened());
const HEARING = history(...COLLECTING, ev.hearingScheduled());
const DECIDED = history(...HEARING, ev.rulingIssued());
const enforced = {
  type: 'dispute.ruling-enforced.v1',
  data: {
    dispute_id: DISPUTE_ID,
    at: minute(301),
    ruling_digest_sha256: payloadDigest(rulingCredential()),
    corridor_transition: {
      corridor_id: CORRIDOR_ID,
      kind: 'arbitration.enforcement.ruling.v1',
      payload: { dispute_id: DISPUTE_ID, ruling_digest_sha256: payloadDigest(rulingCredential()), disposition: 'claim_upheld', orders: ORDERS, enforced_at: minute(301) },
    },
  },
};
const ENFORCED = history(...DECIDED, enforced);

describe('FileDispute', () => {
  it('files a dispute between two parties over a corridor head', () => {
    given([]).when(fileDispute() as DisputeCommand).then([ev.filed()]);
  });

  it('refuses a dispute of a party with itself, and parties that are not did:key', () => {
    const f = fileDispute();
    given([]).when({ ...f, data: { ...f.data, respondent: claimant.did } } as DisputeCommand).then(refused('invalid-command', /same party/));
    given([]).when({ ...f, data: { ...f.data, claimant: 'ACME Ltd' } } as DisputeCommand).then(refused('invalid-command', /claimant/));
  });

  it('refuses a filing without digests of the corridor head and the statement of claim', () => {
    const f = fileDispute();
    given([]).when({ ...f, data: { ...f.data, corridor_head_commitment_sha256: undefined } } as DisputeCommand).then(refused('invalid-command', /corridor_head_commitment_sha256/));
    given([]).when({ ...f, data: { ...f.data, filing_digest_sha256: 'claim.pdf' } } as DisputeCommand).then(refused('invalid-command', /filing_digest_sha256/));
  });

  it('refuses to file twice, and anything before filing', () => {
    given(FILED).when(fileDispute(minute(1)) as DisputeCommand).then(refused('already-exists'));
    given([]).when(cmd('BeginReview', minute(1), { case_reference: 'X', arbitrator: arbitrator.did })).then(refused('not-found'));
  });
});

describe('FILED → UNDER_REVIEW → EVIDENCE_COLLECTION → HEARING', () => {
  it('starts the review, appointing the arbitrator', () => {
    given(FILED).when(cmd('BeginReview', minute(1), { case_reference: 'DIFC-LCIA 25/0042', arbitrator: arbitrator.did })).then([ev.reviewStarted()]);
  });

  it('opens evidence collection until a deadline in the future', () => {
    given(UNDER_REVIEW).when(cmd('OpenEvidenceCollection', minute(2), { procedural_order_digest_sha256: digest('procedural order 1'), evidence_deadline: minute(100) })).then([ev.evidenceOpened()]);
    given(UNDER_REVIEW).when(cmd('OpenEvidenceCollection', minute(2), { procedural_order_digest_sha256: digest('procedural order 1'), evidence_deadline: minute(2) })).then(refused('invalid-command', /must be after/));
  });

  it('schedules the hearing', () => {
    given(COLLECTING).when(cmd('ScheduleHearing', minute(101), { hearing_at: minute(200) })).then([ev.hearingScheduled()]);
    given(COLLECTING).when(cmd('ScheduleHearing', minute(101), { hearing_at: minute(50) })).then(refused('invalid-command', /in the past/));
  });

  it('refuses to review twice, and to close before enforcement', () => {
    given(UNDER_REVIEW).when(cmd('BeginReview', minute(2), { case_reference: 'again', arbitrator: arbitrator.did })).then(refused('transition-not-allowed', /is UNDER_REVIEW; review is possible only in FILED/));
    given(DECIDED).when(cmd('CloseDispute', minute(301), { final_report_digest_sha256: digest('final report') })).then(refused('transition-not-allowed', /is DECIDED; closing is possible only in ENFORCED/));
  });

  it('refuses a command addressed to another dispute', () => {
    given(FILED).when({ type: 'BeginReview', at: minute(1), data: { dispute_id: 'dispute:other', case_reference: 'X', arbitrator: arbitrator.did } } as DisputeCommand).then(refused('aggregate-mismatch'));
  });

  it('refuses to skip a step', () => {
    given(FILED).when(cmd('OpenEvidenceCollection', minute(2), { procedural_order_digest_sha256: digest('o'), evidence_deadline: minute(100) })).then(refused('transition-not-allowed', `dispute ${DISPUTE_ID} is FILED; opening evidence collection is possible only in UNDER_REVIEW`));
    given(UNDER_REVIEW).when(cmd('ScheduleHearing', minute(101), { hearing_at: minute(200) })).then(refused('transition-not-allowed', /is UNDER_REVIEW; scheduling the hearing is possible only in EVIDENCE_COLLECTION/));
    given(COLLECTING).when(cmd('IssueRuling', minute(150), { ruling: rulingCredential() })).then(refused('transition-not-allowed', /a ruling is possible only in HEARING/));
  });
});

describe('SubmitEvidence: corridor receipts by digest, each with a verified MMR inclusion proof', () => {
  const submit = (items: unknown[], at = minute(10), extra: object = {}) =>
    cmd('SubmitEvidence', at, { package_id: 'EP-1', submitted_by: claimant.did, corridor_head: HEAD, items, ...extra });
  const item = (i: number, proof: unknown = proofOf(i)) => ({ receipt_next_root: RECEIPTS[i], inclusion_proof: proof, description: `receipt ${i}` });

  it('accepts receipts proven to be in the corridor head', () => {
    given(COLLECTING).when(submit([item(1), item(4)])).then([ev.evidenceSubmitted('EP-1', [1, 4], minute(10))]);
  });

  it('refuses a proof that does not verify', () => {
    const [first, ...rest] = proofOf(1).path as JsonObject[];
    const bad = { ...proofOf(1), path: [{ ...first, hash: 'f'.repeat(64) }, ...rest] };
    given(COLLECTING).when(submit([item(1, bad)])).then(refused('invalid-evidence', /items\[0\]: the inclusion proof does not verify \(root_mismatch/));
  });

  it('refuses a proof of another receipt', () => {
    given(COLLECTING).when(submit([{ ...item(1), inclusion_proof: proofOf(2) }])).then(refused('invalid-evidence', /proof is for another receipt/));
  });

  it('refuses a proof leading to another head than the corridor head', () => {
    given(COLLECTING).when(submit([item(1)], minute(10), { corridor_head: { mmr_size: 5, mmr_root: 'a'.repeat(64) } })).then(refused('invalid-evidence', /not the corridor head/));
  });

  it('refuses a package without receipts, or an item without proof', () => {
    given(COLLECTING).when(submit([])).then(refused('evidence-missing', /at least one corridor receipt/));
    given(COLLECTING).when(submit([{ receipt_next_root: RECEIPTS[0] }])).then(refused('evidence-missing', /items\[0\] has no inclusion_proof/));
  });

  it('refuses evidence from someone who is not a party, after the deadline, or twice under one id', () => {
    given(COLLECTING).when(submit([item(1)], minute(10), { submitted_by: outsider.did })).then(refused('invalid-command', /neither the claimant nor the respondent/));
    given(COLLECTING).when(submit([item(1)], minute(100))).then(refused('deadline-passed', /before 2025-03-01T10:40:00Z/));
    given([...COLLECTING, ev.evidenceSubmitted('EP-1', [1], minute(10))] as DisputeEvent[]).when(submit([item(2)], minute(11))).then(refused('already-exists'));
  });

  it('refuses evidence outside evidence collection', () => {
    given(UNDER_REVIEW).when(submit([item(1)])).then(refused('transition-not-allowed', /submitting evidence is possible only in EVIDENCE_COLLECTION/));
  });
});

describe('IssueRuling: a credential signed by the appointed arbitrator', () => {
  const issue = (ruling: unknown, at = minute(300)) => cmd('IssueRuling', at, { ruling });

  it('decides the dispute', () => {
    given(HEARING).when(issue(rulingCredential())).then([ev.rulingIssued()]);
  });

  it('records the appeal deadline the ruling states', () => {
    const state = given(HEARING).when(issue(rulingCredential({ appealDeadline: minute(400) }))).then([ev.rulingIssued(minute(300), minute(400))]);
    expect(state.ruling?.appeal_deadline).toBe(minute(400));
  });

  it('refuses a ruling not signed by the arbitrator, or with a broken signature', () => {
    given(HEARING).when(issue(rulingCredential({ signer: outsider }))).then(refused('invalid-evidence', /not by the arbitrator/));
    given(HEARING).when(issue(tamperSignature(rulingCredential()))).then(refused('invalid-evidence', /no valid proof/));
  });

  it('refuses a ruling about another dispute, or without disposition and orders', () => {
    given(HEARING).when(issue(rulingCredential({ disputeId: 'dispute:other' }))).then(refused('invalid-evidence', /about dispute "dispute:other"/));
    given(HEARING).when(issue(rulingCredential({ subject: { ruling: { orders: ORDERS } } }))).then(refused('invalid-evidence', /ruling.disposition/));
  });

  it('refuses a missing ruling', () => {
    given(HEARING).when(issue(undefined)).then(refused('evidence-missing', /MSEZArbitrationRulingCredential/));
  });
});

describe('EnforceRuling and CloseDispute', () => {
  it('enforces the ruling, saying which arbitration.enforcement transition must land in the corridor chain', () => {
    given(DECIDED).when(cmd('EnforceRuling', minute(301))).then([enforced] as DisputeEvent[]);
  });

  it('waits for the end of the appeal period', () => {
    const appealable = history(...HEARING, ev.rulingIssued(minute(300), minute(400)));
    given(appealable).when(cmd('EnforceRuling', minute(399))).then(refused('appeal-period-running', /until 2025-03-01T15:40:00Z/));
    const state = given(appealable).when(cmd('EnforceRuling', minute(400))).then([
      { ...enforced, data: { ...enforced.data, at: minute(400), ruling_digest_sha256: payloadDigest(rulingCredential({ appealDeadline: minute(400) })), corridor_transition: { ...enforced.data.corridor_transition, payload: { ...enforced.data.corridor_transition.payload, ruling_digest_sha256: payloadDigest(rulingCredential({ appealDeadline: minute(400) })), enforced_at: minute(400) } } } },
    ] as DisputeEvent[]);
    expect(state.status).toBe('ENFORCED');
  });

  it('refuses enforcement before a decision', () => {
    given(HEARING).when(cmd('EnforceRuling', minute(301))).then(refused('transition-not-allowed', /enforcement is possible only in DECIDED/));
  });

  it('closes an enforced dispute once no escrow is held', () => {
    given(ENFORCED).when(cmd('CloseDispute', minute(302), { final_report_digest_sha256: digest('final report') })).then([
      { type: 'dispute.closed.v1', data: { dispute_id: DISPUTE_ID, at: minute(302), final_report_digest_sha256: digest('final report') } },
    ] as DisputeEvent[]);
    const held = history(...ENFORCED, ev.escrowFunded('ESC-1', minute(302)));
    given(held).when(cmd('CloseDispute', minute(303), { final_report_digest_sha256: digest('final report') })).then(refused('escrow-outstanding', 'escrow ESC-1 is still funded; release or forfeit it before closing'));
  });
});

describe('settlement: both parties consent before a decision', () => {
  const consent = (party: typeof claimant, vc: unknown, at = minute(50)) => cmd('ConsentToSettlement', at, { party: party.did, consent: vc });

  it('records the first consent, and settles on the second', () => {
    given(COLLECTING).when(consent(claimant, consentCredential(claimant))).then([ev.consented(claimant, minute(50))]);
    const state = given([...COLLECTING, ev.consented(claimant, minute(50))] as DisputeEvent[])
      .when(consent(respondent, consentCredential(respondent), minute(60)))
      .then([
        ev.consented(respondent, minute(60)),
        { type: 'dispute.settled.v1', data: { dispute_id: DISPUTE_ID, at: minute(60), settlement_agreement_sha256: AGREEMENT, parties: [claimant.did, respondent.did] } },
      ] as DisputeEvent[]);
    expect(state.status).toBe('SETTLED');
  });

  it.each([['FILED', FILED], ['UNDER_REVIEW', UNDER_REVIEW], ['HEARING', HEARING]])('settles from %s', (_s, before) => {
    const state = given([...before, ev.consented(claimant, minute(250))] as DisputeEvent[])
      .when(consent(respondent, consentCredential(respondent), minute(260)))
      .then([
        ev.consented(respondent, minute(260)),
        { type: 'dispute.settled.v1', data: { dispute_id: DISPUTE_ID, at: minute(260), settlement_agreement_sha256: AGREEMENT, parties: [claimant.did, respondent.did] } },
      ] as DisputeEvent[]);
    expect(state.status).toBe('SETTLED');
  });

  it('refuses settlement once decided', () => {
    given(DECIDED).when(consent(claimant, consentCredential(claimant), minute(301))).then(refused('transition-not-allowed', /settlement is possible only in FILED, UNDER_REVIEW, EVIDENCE_COLLECTION, HEARING/));
  });

  it('refuses a second consent by the same party, and consents to different agreements', () => {
    const once = history(...COLLECTING, ev.consented(claimant, minute(50)));
    given(once).when(consent(claimant, consentCredential(claimant), minute(51))).then(refused('already-consented'));
    given(once).when(consent(respondent, consentCredential(respondent, digest('another agreement')), minute(51))).then(refused('invalid-evidence', /consented to settlement agreement/));
  });

  it("refuses a consent not signed by the party, or by someone who is not a party", () => {
    given(COLLECTING).when(consent(claimant, consentCredential(claimant, AGREEMENT, respondent))).then(refused('invalid-evidence', /not by did:key/));
    given(COLLECTING).when(consent(outsider, consentCredential(outsider))).then(refused('invalid-command', /neither the claimant nor the respondent/));
    given(COLLECTING).when(consent(claimant, undefined)).then(refused('evidence-missing'));
  });
});

describe('DismissDispute: only from FILED or UNDER_REVIEW', () => {
  const dismiss = (at = minute(5)) => cmd('DismissDispute', at, { dismissal_order_digest_sha256: digest('dismissal order'), reason: 'no jurisdiction' });
  const dismissed = (at: string) => ({ type: 'dispute.dismissed.v1', data: { dispute_id: DISPUTE_ID, at, dismissal_order_digest_sha256: digest('dismissal order'), reason: 'no jurisdiction' } });

  it.each([['FILED', FILED], ['UNDER_REVIEW', UNDER_REVIEW]])('dismisses from %s', (_s, before) => {
    given(before).when(dismiss()).then([dismissed(minute(5))] as DisputeEvent[]);
  });

  it('refuses dismissal once evidence collection has begun', () => {
    given(COLLECTING).when(dismiss()).then(refused('transition-not-allowed', /dismissal is possible only in FILED, UNDER_REVIEW/));
  });
});

describe('escrow: funded, then released or forfeited for a reason that holds', () => {
  const fund = (at = minute(3), extra: object = {}) =>
    cmd('FundEscrow', at, { escrow_id: 'ESC-1', escrow_type: 'security_deposit', amount: '25000.00', currency: 'USD', funded_by: respondent.did, ...extra });
  const FUNDED = history(...UNDER_REVIEW, ev.escrowFunded('ESC-1', minute(3)));

  it('funds escrow, writing the amount exactly', () => {
    given(UNDER_REVIEW).when(fund()).then([ev.escrowFunded('ESC-1', minute(3))]);
  });

  it('refuses malformed escrow', () => {
    given(UNDER_REVIEW).when(fund(minute(3), { amount: '25,000' })).then(refused('invalid-amount'));
    given(UNDER_REVIEW).when(fund(minute(3), { escrow_type: 'tip' })).then(refused('invalid-command', /escrow_type must be one of filing_fee, security_deposit, award_escrow, appeal_bond/));
    given(UNDER_REVIEW).when(fund(minute(3), { funded_by: outsider.did })).then(refused('invalid-command', /neither the claimant nor the respondent/));
    given(FUNDED).when(fund(minute(4))).then(refused('already-exists'));
  });

  it('releases escrow to a party once the ruling is enforced', () => {
    const before = history(...DECIDED.slice(0, 2), ev.escrowFunded('ESC-1', minute(3)), ...DECIDED.slice(2), enforced);
    given(before).when(cmd('ReleaseEscrow', minute(302), { escrow_id: 'ESC-1', to: claimant.did, condition: 'ruling_enforced' })).then([
      { type: 'dispute.escrow-released.v1', data: { dispute_id: DISPUTE_ID, at: minute(302), escrow_id: 'ESC-1', amount: '25000', currency: 'USD', condition: 'ruling_enforced', order_digest_sha256: null, to: claimant.did } },
    ] as DisputeEvent[]);
  });

  it('refuses a release for a reason that does not hold yet', () => {
    given(FUNDED).when(cmd('ReleaseEscrow', minute(4), { escrow_id: 'ESC-1', to: claimant.did, condition: 'ruling_enforced' })).then(refused('transition-not-allowed', /is UNDER_REVIEW; ruling_enforced holds only in ENFORCED, CLOSED/));
  });

  it('forfeits escrow on an institution order, which must be evidenced', () => {
    given(FUNDED).when(cmd('ForfeitEscrow', minute(4), { escrow_id: 'ESC-1', condition: 'institution_order', order_digest_sha256: digest('order 7') })).then([
      { type: 'dispute.escrow-forfeited.v1', data: { dispute_id: DISPUTE_ID, at: minute(4), escrow_id: 'ESC-1', amount: '25000', currency: 'USD', condition: 'institution_order', order_digest_sha256: digest('order 7') } },
    ] as DisputeEvent[]);
    given(FUNDED).when(cmd('ForfeitEscrow', minute(4), { escrow_id: 'ESC-1', condition: 'institution_order' })).then(refused('evidence-missing', /order_digest_sha256/));
  });

  it('forfeits only funded escrow', () => {
    const released = history(...FUNDED, { type: 'dispute.escrow-released.v1', data: { dispute_id: DISPUTE_ID, at: minute(4), escrow_id: 'ESC-1', amount: '25000', currency: 'USD', condition: 'institution_order', order_digest_sha256: digest('order 7'), to: respondent.did } });
    given(released).when(cmd('ForfeitEscrow', minute(5), { escrow_id: 'ESC-1', condition: 'institution_order', order_digest_sha256: digest('order 8') })).then(refused('transition-not-allowed', 'escrow ESC-1 is released; only funded escrow can be forfeited'));
    given(FUNDED).when(cmd('ForfeitEscrow', minute(5), { escrow_id: 'ESC-9', condition: 'institution_order', order_digest_sha256: digest('order 8') })).then(refused('invalid-command', /has no escrow ESC-9/));
  });

  it('releases escrow after settlement or dismissal, but funds no more escrow then', () => {
    const settled = history(...FUNDED, ev.consented(claimant, minute(5)), ev.consented(respondent, minute(6)), { type: 'dispute.settled.v1', data: { dispute_id: DISPUTE_ID, at: minute(6), settlement_agreement_sha256: AGREEMENT, parties: [claimant.did, respondent.did] } });
    given(settled).when(cmd('ReleaseEscrow', minute(7), { escrow_id: 'ESC-1', to: respondent.did, condition: 'settlement_agreed' })).then([
      { type: 'dispute.escrow-released.v1', data: { dispute_id: DISPUTE_ID, at: minute(7), escrow_id: 'ESC-1', amount: '25000', currency: 'USD', condition: 'settlement_agreed', order_digest_sha256: null, to: respondent.did } },
    ] as DisputeEvent[]);
    given(settled).when(fund(minute(7), { escrow_id: 'ESC-2' })).then(refused('transition-not-allowed', /is SETTLED; escrow can no longer be funded/));
  });
});
