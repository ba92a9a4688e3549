import type { JsonValue } from '@corridor/protocol';
import type { DomainEvent } from '../shared/decider';
import type { EvidenceRecord } from '../shared/credentials';
import type { EscrowCondition, EscrowType } from './status';

/** Stable event names of the dispute aggregate (hashed into its receipts: never rename one). */
export const DISPUTE_EVENT_TYPES = {
  filed: 'dispute.filed.v1',
  reviewStarted: 'dispute.review-started.v1',
  evidenceCollectionOpened: 'dispute.evidence-collection-opened.v1',
  evidenceSubmitted: 'dispute.evidence-submitted.v1',
  hearingScheduled: 'dispute.hearing-scheduled.v1',
  rulingIssued: 'dispute.ruling-issued.v1',
  rulingEnforced: 'dispute.ruling-enforced.v1',
  closed: 'dispute.closed.v1',
  settlementConsented: 'dispute.settlement-consented.v1',
  settled: 'dispute.settled.v1',
  dismissed: 'dispute.dismissed.v1',
  escrowFunded: 'dispute.escrow-funded.v1',
  escrowReleased: 'dispute.escrow-released.v1',
  escrowForfeited: 'dispute.escrow-forfeited.v1',
} as const;

/** The corridor transition an enforced ruling must land as (the node's process manager records it). */
export const RULING_ENFORCEMENT_KIND = 'arbitration.enforcement.ruling.v1';

interface Base {
  dispute_id: string;
  at: string;
}

export interface DisputeFiledData extends Base {
  corridor_id: string;
  corridor_genesis_root: string;
  corridor_head_commitment_sha256: string;
  claimant: string;
  respondent: string;
  filing_digest_sha256: string;
}

export interface ReviewStartedData extends Base {
  case_reference: string;
  arbitrator: string;
}

export interface EvidenceCollectionOpenedData extends Base {
  procedural_order_digest_sha256: string;
  evidence_deadline: string;
}

/** A cited corridor receipt whose inclusion in the corridor head was verified when it was submitted. */
export interface VerifiedEvidenceItem {
  receipt_next_root: string;
  leaf_index: number;
  inclusion_proof: JsonValue;
  description: string | null;
}

export interface EvidenceSubmittedData extends Base {
  package_id: string;
  submitted_by: string;
  corridor_head: { mmr_size: number; mmr_root: string };
  items: VerifiedEvidenceItem[];
}

export interface HearingScheduledData extends Base {
  hearing_at: string;
}

export interface RulingIssuedData extends Base {
  ruling: EvidenceRecord;
  disposition: string;
  orders: JsonValue[];
  appeal_deadline: string | null;
}

export interface RulingEnforcedData extends Base {
  ruling_digest_sha256: string;
  corridor_transition: {
    corridor_id: string;
    kind: typeof RULING_ENFORCEMENT_KIND;
    payload: { dispute_id: string; ruling_digest_sha256: string; disposition: string; orders: JsonValue[]; enforced_at: string };
  };
}

export interface DisputeClosedData extends Base {
  final_report_digest_sha256: string;
}

export interface SettlementConsentedData extends Base {
  party: string;
  settlement_agreement_sha256: string;
  consent: EvidenceRecord;
}

export interface DisputeSettledData extends Base {
  settlement_agreement_sha256: string;
  parties: string[];
}

export interface DisputeDismissedData extends Base {
  dismissal_order_digest_sha256: string;
  reason: string;
}

export interface EscrowFundedData extends Base {
  escrow_id: string;
  escrow_type: EscrowType;
  amount: string;
  currency: string;
  funded_by: string;
}

export interface EscrowReleasedData extends Base {
  escrow_id: string;
  to: string;
  amount: string;
  currency: string;
  condition: EscrowCondition;
  order_digest_sha256: string | null;
}

export interface EscrowForfeitedData extends Base {
  escrow_id: string;
  amount: string;
  currency: string;
  condition: EscrowCondition;
  order_digest_sha256: string | null;
}

type T = typeof DISPUTE_EVENT_TYPES;
export type DisputeEvent =
  | DomainEvent<T['filed'], DisputeFiledData>
  | DomainEvent<T['reviewStarted'], ReviewStartedData>
  | DomainEvent<T['evidenceCollectionOpened'], EvidenceCollectionOpenedData>
  | DomainEvent<T['evidenceSubmitted'], EvidenceSubmittedData>
  | DomainEvent<T['hearingScheduled'], HearingScheduledData>
  | DomainEvent<T['rulingIssued'], RulingIssuedData>
  | DomainEvent<T['rulingEnforced'], RulingEnforcedData>
  | DomainEvent<T['closed'], DisputeClosedData>
  | DomainEvent<T['settlementConsented'], SettlementConsentedData>
  | DomainEvent<T['settled'], DisputeSettledData>
  | DomainEvent<T['dismissed'], DisputeDismissedData>
  | DomainEvent<T['escrowFunded'], EscrowFundedData>
  | DomainEvent<T['escrowReleased'], EscrowReleasedData>
  | DomainEvent<T['escrowForfeited'], EscrowForfeitedData>;
