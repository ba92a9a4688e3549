import { evolveWith } from '../shared/decider';
import type { DisputeEvent } from './events';
import type { DisputeState, Escrow } from './state';
import type { DisputeStatus } from './status';

const moveTo = (status: DisputeStatus) => (state: DisputeState, { data }: { data: { at: string } }): DisputeState => ({ ...state, status, updated_at: data.at });

function escrowStatus(state: DisputeState, escrowId: string, status: Escrow['status']): Escrow[] {
  return state.escrows.map((e) => (e.escrow_id === escrowId ? { ...e, status } : e));
}

export const evolveDispute = evolveWith<DisputeState, DisputeEvent>('dispute', {
  'dispute.filed.v1': (state, { data }) => ({
    ...state,
    dispute_id: data.dispute_id,
    corridor_id: data.corridor_id,
    claimant: data.claimant,
    respondent: data.respondent,
    status: 'FILED',
    updated_at: data.at,
  }),
  'dispute.review-started.v1': (state, { data }) => ({ ...state, status: 'UNDER_REVIEW', arbitrator: data.arbitrator, updated_at: data.at }),
  'dispute.evidence-collection-opened.v1': (state, { data }) => ({
    ...state,
    status: 'EVIDENCE_COLLECTION',
    evidence_deadline: data.evidence_deadline,
    updated_at: data.at,
  }),
  'dispute.evidence-submitted.v1': (state, { data }) => ({ ...state, evidence_packages: [...state.evidence_packages, data.package_id], updated_at: data.at }),
  'dispute.hearing-scheduled.v1': moveTo('HEARING'),
  'dispute.ruling-issued.v1': (state, { data }) => ({
    ...state,
    status: 'DECIDED',
    ruling: { digest_sha256: data.ruling.digest_sha256, disposition: data.disposition, orders: data.orders, appeal_deadline: data.appeal_deadline },
    updated_at: data.at,
  }),
  'dispute.ruling-enforced.v1': moveTo('ENFORCED'),
  'dispute.closed.v1': moveTo('CLOSED'),
  'dispute.settlement-consented.v1': (state, { data }) => ({
    ...state,
    consents: [...state.consents, { party: data.party, settlement_agreement_sha256: data.settlement_agreement_sha256 }],
    updated_at: data.at,
  }),
  'dispute.settled.v1': moveTo('SETTLED'),
  'dispute.dismissed.v1': moveTo('DISMISSED'),
  'dispute.escrow-funded.v1': (state, { data }) => ({
    ...state,
    escrows: [
      ...state.escrows,
      { escrow_id: data.escrow_id, escrow_type: data.escrow_type, amount: data.amount, currency: data.currency, funded_by: data.funded_by, status: 'funded' },
    ],
    updated_at: data.at,
  }),
  'dispute.escrow-released.v1': (state, { data }) => ({ ...state, escrows: escrowStatus(state, data.escrow_id, 'released'), updated_at: data.at }),
  'dispute.escrow-forfeited.v1': (state, { data }) => ({ ...state, escrows: escrowStatus(state, data.escrow_id, 'forfeited'), updated_at: data.at }),
});
