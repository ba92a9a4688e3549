/** The dispute lifecycle (the specification's; not configurable). */
export const DISPUTE_STATUSES = [
  'FILED',
  'UNDER_REVIEW',
  'EVIDENCE_COLLECTION',
  'HEARING',
  'DECIDED',
  'ENFORCED',
  'CLOSED',
  'SETTLED',
  'DISMISSED',
] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];

/** Settlement is possible in any state before a decision. */
export const SETTLEABLE: readonly DisputeStatus[] = ['FILED', 'UNDER_REVIEW', 'EVIDENCE_COLLECTION', 'HEARING'];
/** Dismissal is possible only before evidence is collected. */
export const DISMISSABLE: readonly DisputeStatus[] = ['FILED', 'UNDER_REVIEW'];
/** The dispute itself can move no further (escrow may still be released or forfeited). */
export const FINAL: readonly DisputeStatus[] = ['CLOSED', 'SETTLED', 'DISMISSED'];

export const ESCROW_TYPES = ['filing_fee', 'security_deposit', 'award_escrow', 'appeal_bond'] as const;
export type EscrowType = (typeof ESCROW_TYPES)[number];

/**
 * Why escrow may be released or forfeited, and the dispute states in which each reason holds. An institution
 * order holds in any state but must be evidenced by the order's digest.
 */
export const ESCROW_CONDITIONS = {
  ruling_enforced: ['ENFORCED', 'CLOSED'],
  settlement_agreed: ['SETTLED'],
  dispute_dismissed: ['DISMISSED'],
  institution_order: DISPUTE_STATUSES,
} as const satisfies Record<string, readonly DisputeStatus[]>;
export type EscrowCondition = keyof typeof ESCROW_CONDITIONS;
export const ESCROW_CONDITION_NAMES = Object.keys(ESCROW_CONDITIONS) as EscrowCondition[];
