import type { DomainCommand } from '../shared/decider';
import type { EscrowCondition, EscrowType } from './status';

/**
 * Files a dispute between two parties (did:key) over a corridor. `corridor_genesis_root` names the corridor's
 * chain; `corridor_head_commitment_sha256` the corridor head (protocol head commitment) the claim is about.
 */
export type FileDispute = DomainCommand<
  'FileDispute',
  {
    dispute_id: string;
    corridor_id: string;
    corridor_genesis_root: string;
    corridor_head_commitment_sha256: string;
    claimant: string;
    respondent: string;
    filing_digest_sha256: string;
  }
>;

/** The institution acknowledges the case and appoints the arbitrator whose signature the ruling will carry. */
export type BeginReview = DomainCommand<'BeginReview', { dispute_id: string; case_reference: string; arbitrator: string }>;

/** A procedural order opens evidence collection until `evidence_deadline`. */
export type OpenEvidenceCollection = DomainCommand<
  'OpenEvidenceCollection',
  { dispute_id: string; procedural_order_digest_sha256: string; evidence_deadline: string }
>;

/** One corridor receipt cited as evidence: its digest and its MMR inclusion proof. */
export interface EvidenceItem {
  receipt_next_root: string;
  inclusion_proof: unknown;
  description?: string;
}

/**
 * A party's evidence package. `corridor_head` is the corridor MMR head (`mmr_size`, `mmr_root`) as this node's
 * own chain records it — the command handler fills it in, never the submitter — and every item's inclusion proof
 * must lead to exactly that head.
 */
export type SubmitEvidence = DomainCommand<
  'SubmitEvidence',
  {
    dispute_id: string;
    package_id: string;
    submitted_by: string;
    corridor_head: { mmr_size: number; mmr_root: string };
    items: EvidenceItem[];
  }
>;

export type ScheduleHearing = DomainCommand<'ScheduleHearing', { dispute_id: string; hearing_at: string }>;

/** `ruling`: an `MSEZArbitrationRulingCredential` signed by the appointed arbitrator. */
export type IssueRuling = DomainCommand<'IssueRuling', { dispute_id: string; ruling: unknown }>;

export type EnforceRuling = DomainCommand<'EnforceRuling', { dispute_id: string }>;

export type CloseDispute = DomainCommand<'CloseDispute', { dispute_id: string; final_report_digest_sha256: string }>;

/** `consent`: an `MSEZDisputeSettlementConsentCredential` about this dispute and agreement, signed by `party`. */
export type ConsentToSettlement = DomainCommand<'ConsentToSettlement', { dispute_id: string; party: string; consent: unknown }>;

export type DismissDispute = DomainCommand<'DismissDispute', { dispute_id: string; dismissal_order_digest_sha256: string; reason: string }>;

export type FundEscrow = DomainCommand<
  'FundEscrow',
  { dispute_id: string; escrow_id: string; escrow_type: EscrowType; amount: string; currency: string; funded_by: string }
>;

export type ReleaseEscrow = DomainCommand<
  'ReleaseEscrow',
  { dispute_id: string; escrow_id: string; to: string; condition: EscrowCondition; order_digest_sha256?: string }
>;

export type ForfeitEscrow = DomainCommand<'ForfeitEscrow', { dispute_id: string; escrow_id: string; condition: EscrowCondition; order_digest_sha256?: string }>;

export type DisputeCommand =
  | FileDispute
  | BeginReview
  | OpenEvidenceCollection
  | SubmitEvidence
  | ScheduleHearing
  | IssueRuling
  | EnforceRuling
  | CloseDispute
  | ConsentToSettlement
  | DismissDispute
  | FundEscrow
  | ReleaseEscrow
  | ForfeitEscrow;
