import { buildInclusionProof, mmrRootFromNextRoots, sha256Hex, type JsonObject } from '@corridor/protocol';
import { CORRIDOR_ID, evidenceOf, minute } from './corridor-fixtures';
import { issueCredential, testKey } from './keys';

export const DISPUTE_ID = 'dispute:2025-0042';
export const claimant = testKey('claimant');
export const respondent = testKey('respondent');
export const arbitrator = testKey('arbitrator');
export const CORRIDOR_GENESIS_ROOT = 'e'.repeat(64);
export const HEAD_COMMITMENT = 'c'.repeat(64);
export const digest = (s: string) => sha256Hex(s);

/** Five receipts of the corridor (by next_root) and the MMR head over them. */
export const RECEIPTS = [0, 1, 2, 3, 4].map((i) => sha256Hex(`corridor receipt ${i}`));
export const HEAD = (() => {
  const mmr = mmrRootFromNextRoots(RECEIPTS);
  return { mmr_size: mmr.size, mmr_root: mmr.root };
})();
export const proofOf = (i: number) => buildInclusionProof(RECEIPTS, i) as unknown as JsonObject;

export const disputeCommand = (type: string, at: string, data: object = {}) => ({ type, at, data: { dispute_id: DISPUTE_ID, ...data } });

export const fileDispute = (at = minute(0)) =>
  disputeCommand('FileDispute', at, {
    corridor_id: CORRIDOR_ID,
    corridor_genesis_root: CORRIDOR_GENESIS_ROOT,
    corridor_head_commitment_sha256: HEAD_COMMITMENT,
    claimant: claimant.did,
    respondent: respondent.did,
    filing_digest_sha256: digest('statement of claim'),
  });

export const ORDERS = [{ obligor: respondent.did, obligee: claimant.did, amount: '25000.00', currency: 'USD', enforcement_method: 'escrow_release' }];

export function rulingCredential(options: { signer?: typeof arbitrator; disputeId?: string; appealDeadline?: string; subject?: JsonObject } = {}): JsonObject {
  return issueCredential({
    id: 'urn:test:ruling:1',
    types: ['MSEZArbitrationRulingCredential'],
    subject: {
      dispute_id: options.disputeId ?? DISPUTE_ID,
      corridor_id: CORRIDOR_ID,
      ruling: { disposition: 'claim_upheld', orders: ORDERS },
      ...(options.appealDeadline === undefined ? {} : { appeal_deadline: options.appealDeadline }),
      ...options.subject,
    },
    signers: [options.signer ?? arbitrator],
  });
}

export const AGREEMENT = digest('settlement agreement v3');

export function consentCredential(party: typeof claimant, agreement = AGREEMENT, signer = party): JsonObject {
  return issueCredential({
    types: ['MSEZDisputeSettlementConsentCredential'],
    subject: { dispute_id: DISPUTE_ID, settlement_agreement_sha256: agreement, party: party.did },
    signers: [signer],
  });
}

/** The dispute's events written out from the specification. */
export const disputeEvents = {
  filed: (at = minute(0)) => ({
    type: 'dispute.filed.v1' as const,
    data: {
      dispute_id: DISPUTE_ID,
      at,
      corridor_id: CORRIDOR_ID,
      corridor_genesis_root: CORRIDOR_GENESIS_ROOT,
      corridor_head_commitment_sha256: HEAD_COMMITMENT,
      claimant: claimant.did,
      respondent: respondent.did,
      filing_digest_sha256: digest('statement of claim'),
    },
  }),
  reviewStarted: (at = minute(1)) => ({
    type: 'dispute.review-started.v1' as const,
    data: { dispute_id: DISPUTE_ID, at, case_reference: 'DIFC-LCIA 25/0042', arbitrator: arbitrator.did },
  }),
  evidenceOpened: (at = minute(2), deadline = minute(100)) => ({
    type: 'dispute.evidence-collection-opened.v1' as const,
    data: { dispute_id: DISPUTE_ID, at, procedural_order_digest_sha256: digest('procedural order 1'), evidence_deadline: deadline },
  }),
  evidenceSubmitted: (packageId: string, leaves: number[], at: string, by = claimant.did) => ({
    type: 'dispute.evidence-submitted.v1' as const,
    data: {
      dispute_id: DISPUTE_ID,
      at,
      package_id: packageId,
      submitted_by: by,
      corridor_head: HEAD,
      items: leaves.map((i) => ({ receipt_next_root: RECEIPTS[i]!, leaf_index: i, inclusion_proof: proofOf(i), description: `receipt ${i}` })),
    },
  }),
  hearingScheduled: (at = minute(101), hearingAt = minute(200)) => ({
    type: 'dispute.hearing-scheduled.v1' as const,
    data: { dispute_id: DISPUTE_ID, at, hearing_at: hearingAt },
  }),
  rulingIssued: (at = minute(300), appealDeadline: string | null = null) => {
    const vc = rulingCredential(appealDeadline === null ? {} : { appealDeadline });
    return {
      type: 'dispute.ruling-issued.v1' as const,
      data: { dispute_id: DISPUTE_ID, at, ruling: evidenceOf(vc, [arbitrator.did]), disposition: 'claim_upheld', orders: ORDERS, appeal_deadline: appealDeadline },
    };
  },
  consented: (party: typeof claimant, at: string, agreement = AGREEMENT) => ({
    type: 'dispute.settlement-consented.v1' as const,
    data: { dispute_id: DISPUTE_ID, at, party: party.did, settlement_agreement_sha256: agreement, consent: evidenceOf(consentCredential(party, agreement), [party.did]) },
  }),
  escrowFunded: (escrowId: string, at: string, type = 'security_deposit', amount = '25000') => ({
    type: 'dispute.escrow-funded.v1' as const,
    data: { dispute_id: DISPUTE_ID, at, escrow_id: escrowId, escrow_type: type as never, amount, currency: 'USD', funded_by: respondent.did },
  }),
};
