import { cellKeyText, evaluateCell, type Attestation, type CellKey, type CellReason, type TensorCell } from './cell';
import { COMPLIANCE_DOMAINS, isComplianceDomain, type ComplianceDomain } from './domains';
import { isPassing, meet, meetAll, type ComplianceState } from './states';
import { formatTimestamp } from './time';

/** A cell as queries return it: coordinates, state at the read time, and the attestations behind it. */
export interface CellView extends CellKey {
  readonly state: ComplianceState;
  readonly reason: CellReason;
  readonly standing: readonly string[];
  readonly expired: readonly string[];
  /** Every attestation the cell holds (revoked ones included), sorted by digest; empty for a missing cell. */
  readonly attestations: readonly Attestation[];
}

export function viewCell(key: CellKey, cell: TensorCell | undefined, atMs: number): CellView {
  const e = evaluateCell(cell, atMs);
  return {
    subject: key.subject,
    jurisdiction: key.jurisdiction,
    domain: key.domain,
    state: e.state,
    reason: e.reason,
    standing: e.standing,
    expired: e.expired,
    attestations: cell ? cell.attestations : [],
  };
}

/** A slice selector: any combination of the three coordinates; at least one must be given. */
export interface SliceSelector {
  readonly subject?: string;
  readonly jurisdiction?: string;
  readonly domain?: ComplianceDomain;
}

export function requireSelector(selector: SliceSelector): SliceSelector {
  if (selector.subject === undefined && selector.jurisdiction === undefined && selector.domain === undefined) {
    throw new TypeError('a slice needs at least one of subject, jurisdiction, domain');
  }
  if (selector.domain !== undefined && !isComplianceDomain(selector.domain)) throw new TypeError(`unknown domain ${JSON.stringify(selector.domain)}`);
  return selector;
}

export function matchesSelector(key: CellKey, selector: SliceSelector): boolean {
  return (
    (selector.subject === undefined || key.subject === selector.subject) &&
    (selector.jurisdiction === undefined || key.jurisdiction === selector.jurisdiction) &&
    (selector.domain === undefined || key.domain === selector.domain)
  );
}

/** Orders views by (subject, jurisdiction, domain order of the domain list). */
export function compareCellKeys(a: CellKey, b: CellKey): number {
  if (a.subject !== b.subject) return a.subject < b.subject ? -1 : 1;
  if (a.jurisdiction !== b.jurisdiction) return a.jurisdiction < b.jurisdiction ? -1 : 1;
  return COMPLIANCE_DOMAINS.indexOf(a.domain) - COMPLIANCE_DOMAINS.indexOf(b.domain);
}

export interface SliceResult {
  readonly as_of: string;
  readonly selector: SliceSelector;
  /**
   * With both subject and jurisdiction given, all 20 domains (or the one requested), missing cells included as
   * `pending`; otherwise the cells that exist (unknown subjects cannot be enumerated), sorted.
   */
  readonly cells: readonly CellView[];
  /** Meet of the returned cells' states (`pending` when no cell is returned: fail closed). */
  readonly state: ComplianceState;
}

/**
 * Builds a slice from the existing cells that match `selector` (already filtered or not). A slice fixing subject
 * and jurisdiction is dense: every domain is reported, missing ones as `pending`.
 */
export function buildSlice(selector: SliceSelector, cells: Iterable<TensorCell>, atMs: number): SliceResult {
  requireSelector(selector);
  const byKey = new Map<string, TensorCell>();
  for (const c of cells) if (matchesSelector(c, selector)) byKey.set(cellKeyText(c), c);
  let views: CellView[];
  if (selector.subject !== undefined && selector.jurisdiction !== undefined) {
    const domains = selector.domain !== undefined ? [selector.domain] : COMPLIANCE_DOMAINS;
    views = domains.map((domain) => {
      const key: CellKey = { subject: selector.subject!, jurisdiction: selector.jurisdiction!, domain };
      return viewCell(key, byKey.get(cellKeyText(key)), atMs);
    });
  } else {
    views = [...byKey.values()].map((c) => viewCell(c, c, atMs)).sort(compareCellKeys);
  }
  return { as_of: formatTimestamp(atMs), selector: { ...selector }, cells: views, state: views.length === 0 ? 'pending' : meetAll(views.map((v) => v.state)) };
}

export interface CrossBorderDomain {
  readonly domain: ComplianceDomain;
  /** State of the subject's cell in the first (exporting) jurisdiction. */
  readonly from: ComplianceState;
  /** State of the subject's cell in the second (importing) jurisdiction. */
  readonly to: ComplianceState;
  /** meet(from, to). */
  readonly state: ComplianceState;
  readonly passing: boolean;
}

export interface CrossBorderResult {
  readonly as_of: string;
  readonly subject: string;
  readonly from_jurisdiction: string;
  readonly to_jurisdiction: string;
  readonly domains: readonly CrossBorderDomain[];
  /** Meet over every checked domain. */
  readonly state: ComplianceState;
  /** True when every checked domain passes (compliant, exempt or not_applicable) in both jurisdictions. */
  readonly allowed: boolean;
}

/**
 * The cross-border check: per domain, the meet of the subject's state in both jurisdictions; the subject may
 * cross when every domain passes. `cellOf` returns the stored cell for a key (undefined: missing → pending).
 */
export function crossBorderCheck(
  cellOf: (key: CellKey) => TensorCell | undefined,
  subject: string,
  fromJurisdiction: string,
  toJurisdiction: string,
  atMs: number,
  domains: readonly ComplianceDomain[] = COMPLIANCE_DOMAINS,
): CrossBorderResult {
  if (domains.length === 0) throw new TypeError('a cross-border check needs at least one domain');
  const unique = [...new Set(domains)];
  for (const d of unique) if (!isComplianceDomain(d)) throw new TypeError(`unknown domain ${JSON.stringify(d)}`);
  const rows = unique
    .sort((a, b) => COMPLIANCE_DOMAINS.indexOf(a) - COMPLIANCE_DOMAINS.indexOf(b))
    .map((domain) => {
      const from = evaluateCell(cellOf({ subject, jurisdiction: fromJurisdiction, domain }), atMs).state;
      const to = evaluateCell(cellOf({ subject, jurisdiction: toJurisdiction, domain }), atMs).state;
      const state = meet(from, to);
      return { domain, from, to, state, passing: isPassing(state) };
    });
  return {
    as_of: formatTimestamp(atMs),
    subject,
    from_jurisdiction: fromJurisdiction,
    to_jurisdiction: toJurisdiction,
    domains: rows,
    state: meetAll(rows.map((r) => r.state)),
    allowed: rows.every((r) => r.passing),
  };
}
