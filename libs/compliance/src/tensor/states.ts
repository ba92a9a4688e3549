/**
 * Compliance states, totally ordered from worst to best. The order is the lattice: meet = min (the state both
 * sides can vouch for), join = max. `non_compliant` absorbs under meet; `compliant` absorbs under join.
 */
export const COMPLIANCE_STATES = ['non_compliant', 'pending', 'not_applicable', 'exempt', 'compliant'] as const;

export type ComplianceState = (typeof COMPLIANCE_STATES)[number];

const RANK: Readonly<Record<ComplianceState, number>> = {
  non_compliant: 0,
  pending: 1,
  not_applicable: 2,
  exempt: 3,
  compliant: 4,
};

/** The state of a cell nobody has attested: fail closed. */
export const MISSING_CELL_STATE: ComplianceState = 'pending';

export function isComplianceState(value: unknown): value is ComplianceState {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(RANK, value);
}

/** Position of a state in the order (0 = non_compliant … 4 = compliant). */
export function stateRank(state: ComplianceState): number {
  const r = RANK[state];
  if (r === undefined) throw new TypeError(`not a compliance state: ${JSON.stringify(state)}`);
  return r;
}

/** Greatest lower bound (min). */
export function meet(a: ComplianceState, b: ComplianceState): ComplianceState {
  return stateRank(a) <= stateRank(b) ? a : b;
}

/** Least upper bound (max). */
export function join(a: ComplianceState, b: ComplianceState): ComplianceState {
  return stateRank(a) >= stateRank(b) ? a : b;
}

/** Meet of many states; the meet of none is the top element `compliant` (the identity of meet). */
export function meetAll(states: Iterable<ComplianceState>): ComplianceState {
  let out: ComplianceState = 'compliant';
  for (const s of states) out = meet(out, s);
  return out;
}

/** Join of many states; the join of none is the bottom element `non_compliant` (the identity of join). */
export function joinAll(states: Iterable<ComplianceState>): ComplianceState {
  let out: ComplianceState = 'non_compliant';
  for (const s of states) out = join(out, s);
  return out;
}

/**
 * A passing state lets a subject act: `compliant`, `exempt` or `not_applicable` (everything at or above
 * `not_applicable`). `pending` and `non_compliant` do not pass.
 */
export function isPassing(state: ComplianceState): boolean {
  return stateRank(state) >= RANK.not_applicable;
}
