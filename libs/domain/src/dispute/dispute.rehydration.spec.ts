import { rehydrate } from '../shared/decider';
import { CORRIDOR_ID, minute } from '../testing/corridor-fixtures';
import { DISPUTE_ID, ORDERS, arbitrator, claimant, digest, disputeEvents as ev, respondent, rulingCredential } from '../testing/dispute-fixtures';
import { payloadDigest } from '../testing/corridor-fixtures';
import { disputeDecider } from './decider';
import type { DisputeEvent } from './events';

describe('dispute rehydration', () => {
  it('folds a dispute from filing through evidence, ruling, enforcement and escrow release to closing', () => {
    const rulingDigest = payloadDigest(rulingCredential({ appealDeadline: minute(400) }));
    const history = [
      ev.filed(),
      ev.escrowFunded('FEE-1', minute(0), 'filing_fee', '500'),
      ev.reviewStarted(),
      ev.escrowFunded('ESC-1', minute(3)),
      ev.evidenceOpened(),
      ev.evidenceSubmitted('EP-1', [1, 4], minute(10)),
      ev.evidenceSubmitted('EP-2', [2], minute(20), respondent.did),
      ev.consented(claimant, minute(30)),
      ev.hearingScheduled(),
      ev.rulingIssued(minute(300), minute(400)),
      {
        type: 'dispute.ruling-enforced.v1',
        data: {
          dispute_id: DISPUTE_ID,
          at: minute(400),
          ruling_digest_sha256: rulingDigest,
          corridor_transition: { corridor_id: CORRIDOR_ID, kind: 'arbitration.enforcement.ruling.v1', payload: { dispute_id: DISPUTE_ID, ruling_digest_sha256: rulingDigest, disposition: 'claim_upheld', orders: ORDERS, enforced_at: minute(400) } },
        },
      },
      { type: 'dispute.escrow-released.v1', data: { dispute_id: DISPUTE_ID, at: minute(401), escrow_id: 'ESC-1', amount: '25000', currency: 'USD', condition: 'ruling_enforced', order_digest_sha256: null, to: claimant.did } },
      { type: 'dispute.escrow-forfeited.v1', data: { dispute_id: DISPUTE_ID, at: minute(402), escrow_id: 'FEE-1', amount: '500', currency: 'USD', condition: 'ruling_enforced', order_digest_sha256: null } },
      { type: 'dispute.closed.v1', data: { dispute_id: DISPUTE_ID, at: minute(403), final_report_digest_sha256: digest('final report') } },
    ] as DisputeEvent[];

    expect(rehydrate(disputeDecider, history)).toEqual({
      version: 14,
      dispute_id: DISPUTE_ID,
      corridor_id: CORRIDOR_ID,
      claimant: claimant.did,
      respondent: respondent.did,
      arbitrator: arbitrator.did,
      status: 'CLOSED',
      evidence_deadline: minute(100),
      evidence_packages: ['EP-1', 'EP-2'],
      ruling: { digest_sha256: rulingDigest, disposition: 'claim_upheld', orders: ORDERS, appeal_deadline: minute(400) },
      consents: [{ party: claimant.did, settlement_agreement_sha256: digest('settlement agreement v3') }],
      escrows: [
        { escrow_id: 'FEE-1', escrow_type: 'filing_fee', amount: '500', currency: 'USD', funded_by: respondent.did, status: 'forfeited' },
        { escrow_id: 'ESC-1', escrow_type: 'security_deposit', amount: '25000', currency: 'USD', funded_by: respondent.did, status: 'released' },
      ],
      updated_at: minute(403),
    });
  });
});
