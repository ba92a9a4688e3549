import type { JsonValue } from '@corridor/protocol';
import type { Versioned } from '../shared/decider';
import type { DisputeStatus, EscrowType } from './status';

export interface Escrow {
  escrow_id: string;
  escrow_type: EscrowType;
  amount: string;
  currency: string;
  funded_by: string;
  status: 'funded' | 'released' | 'forfeited';
}

export interface RulingFacts {
  digest_sha256: string;
  disposition: string;
  orders: JsonValue[];
  /** Enforcement waits until then; null when the ruling states no appeal period. */
  appeal_deadline: string | null;
}

export interface DisputeState extends Versioned {
  dispute_id: string | null;
  corridor_id: string | null;
  claimant: string | null;
  respondent: string | null;
  arbitrator: string | null;
  status: DisputeStatus | null;
  evidence_deadline: string | null;
  evidence_packages: string[];
  ruling: RulingFacts | null;
  /** Settlement consents given so far, in order. */
  consents: { party: string; settlement_agreement_sha256: string }[];
  escrows: Escrow[];
  updated_at: string | null;
}

export function initialDisputeState(): DisputeState {
  return {
    version: 0,
    dispute_id: null,
    corridor_id: null,
    claimant: null,
    respondent: null,
    arbitrator: null,
    status: null,
    evidence_deadline: null,
    evidence_packages: [],
    ruling: null,
    consents: [],
    escrows: [],
    updated_at: null,
  };
}
