import { canonicalize, sha256Hex } from '@corridor/protocol';
import { isHexDigest } from './hex';
import { COMPLIANCE_DOMAINS, isComplianceDomain, type ComplianceDomain } from './domains';
import { isComplianceState, isPassing, meetAll, MISSING_CELL_STATE, type ComplianceState } from './states';
import { timestampMillis } from './time';

/** Coordinates of a cell: who (an entity or asset id), where (a jurisdiction id) and what (a domain). */
export interface CellKey {
  readonly subject: string;
  readonly jurisdiction: string;
  readonly domain: ComplianceDomain;
}

/**
 * One attestation held by a cell: somebody (`issuer_did`) asserted `state` for the cell's coordinates at
 * `issued_at`, valid until `expires_at` (null: no expiry). `digest` identifies the attestation (the digest of
 * its credential, or of the transition that recorded it) and is unique within a cell. A revoked attestation
 * stays in the cell, marked, so the tensor keeps its history.
 */
export interface Attestation {
  readonly digest: string;
  readonly issuer_did: string;
  readonly issued_at: string;
  readonly expires_at: string | null;
  readonly state: ComplianceState;
  readonly revoked: boolean;
}

/** A cell as stored and committed: its coordinates and its attestations sorted by digest. */
export interface TensorCell extends CellKey {
  readonly attestations: readonly Attestation[];
}

export class TensorInputError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'TensorInputError';
  }
}

/** Two different attestations claim the same digest in one cell: the input is corrupt, never merged. */
export class AttestationConflictError extends Error {
  constructor(
    readonly key: CellKey,
    readonly digest: string,
  ) {
    super(`cell ${cellKeyText(key)} already holds a different attestation with digest ${digest}`);
    this.name = 'AttestationConflictError';
  }
}

const MAX_ID_LENGTH = 512;

function requireId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH || value.trim() !== value || !value.isWellFormed()) {
    throw new TensorInputError(`${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters without surrounding spaces, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireCellKey(key: { subject: unknown; jurisdiction: unknown; domain: unknown }): CellKey {
  const subject = requireId(key.subject, 'subject');
  const jurisdiction = requireId(key.jurisdiction, 'jurisdiction');
  if (!isComplianceDomain(key.domain)) {
    throw new TensorInputError(`domain must be one of ${COMPLIANCE_DOMAINS.join(', ')}, got ${JSON.stringify(key.domain)}`);
  }
  return { subject, jurisdiction, domain: key.domain };
}

/** Checks an attestation and returns a copy holding exactly the committed fields. */
export function requireAttestation(a: Partial<Record<keyof Attestation, unknown>>): Attestation {
  if (!isHexDigest(a.digest)) throw new TensorInputError(`attestation digest must be 64 lowercase hex, got ${JSON.stringify(a.digest)}`);
  const issuer = requireId(a.issuer_did, 'issuer_did');
  const issued = timestampMillis(a.issued_at);
  if (issued === null) throw new TensorInputError(`issued_at must be a UTC timestamp YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(a.issued_at)}`);
  const expires = a.expires_at === null || a.expires_at === undefined ? null : timestampMillis(a.expires_at);
  if (a.expires_at !== null && a.expires_at !== undefined && expires === null) {
    throw new TensorInputError(`expires_at must be null or a UTC timestamp YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(a.expires_at)}`);
  }
  if (!isComplianceState(a.state)) throw new TensorInputError(`state must be a compliance state, got ${JSON.stringify(a.state)}`);
  if (a.revoked !== undefined && typeof a.revoked !== 'boolean') throw new TensorInputError('revoked must be a boolean');
  return {
    digest: a.digest,
    issuer_did: issuer,
    issued_at: a.issued_at as string,
    expires_at: expires === null ? null : (a.expires_at as string),
    state: a.state,
    revoked: a.revoked === true,
  };
}

/**
 * The canonical text of a cell's coordinates: `["subject","jurisdiction","domain"]`. For an array of well-formed
 * strings the canonical form is exactly what JSON.stringify writes (a property test checks it against
 * `canonicalize`); a string that is not well-formed is refused as canonicalize would.
 */
export function cellKeyText(key: CellKey): string {
  if (!key.subject.isWellFormed() || !key.jurisdiction.isWellFormed()) return canonicalize([key.subject, key.jurisdiction, key.domain]);
  return JSON.stringify([key.subject, key.jurisdiction, key.domain]);
}

export function parseCellKeyText(text: string): CellKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TensorInputError(`not a cell key: ${JSON.stringify(text)}`);
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw new TensorInputError(`not a cell key: ${JSON.stringify(text)}`);
  const key = requireCellKey({ subject: parsed[0], jurisdiction: parsed[1], domain: parsed[2] });
  if (cellKeyText(key) !== text) throw new TensorInputError(`cell key is not in canonical form: ${JSON.stringify(text)}`);
  return key;
}

/** SHA-256 of the canonical key text: where the cell sits in the commitment. */
export function cellKeyDigest(key: CellKey): string {
  return sha256Hex(cellKeyText(key));
}

/** The committed form of a cell: exactly these fields, attestations sorted by digest. */
export function canonicalCell(cell: TensorCell): TensorCell {
  return {
    subject: cell.subject,
    jurisdiction: cell.jurisdiction,
    domain: cell.domain,
    attestations: [...cell.attestations]
      .map((a) => ({ digest: a.digest, issuer_did: a.issuer_did, issued_at: a.issued_at, expires_at: a.expires_at, state: a.state, revoked: a.revoked }))
      .sort((x, y) => (x.digest < y.digest ? -1 : x.digest > y.digest ? 1 : 0)),
  };
}

/**
 * The canonical JSON text of a cell, written directly (keys in code-point order: attestations, domain,
 * jurisdiction, subject; in an attestation: digest, expires_at, issued_at, issuer_did, revoked, state). Equal to
 * `canonicalize(canonicalCell(cell))` for every valid cell (a property test checks it), several times faster.
 */
export function canonicalCellText(cell: TensorCell): string {
  const list = cell.attestations;
  let sorted = true;
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.digest >= list[i]!.digest) sorted = false;
  const atts = sorted ? list : canonicalCell(cell).attestations;
  let out = '{"attestations":[';
  for (let i = 0; i < atts.length; i++) {
    const a = atts[i]!;
    if (i > 0) out += ',';
    out +=
      '{"digest":"' + a.digest +
      '","expires_at":' + (a.expires_at === null ? 'null' : '"' + a.expires_at + '"') +
      ',"issued_at":"' + a.issued_at +
      '","issuer_did":' + JSON.stringify(a.issuer_did) +
      ',"revoked":' + (a.revoked ? 'true' : 'false') +
      ',"state":"' + a.state + '"}';
  }
  return out + '],"domain":"' + cell.domain + '","jurisdiction":' + JSON.stringify(cell.jurisdiction) + ',"subject":' + JSON.stringify(cell.subject) + '}';
}

/**
 * Whether `canonicalCellText(cell)` is a JSON text of `cell` itself (parses to a value deep-equal to it): the
 * cell holds exactly the committed fields and its attestations are sorted by digest, as every cell the tensor
 * builds or stores does. The projection then stores that text instead of serializing the cell again.
 */
export function isCanonicalCell(cell: TensorCell): boolean {
  let n = 0;
  for (const k in cell) if (k !== 'subject' && k !== 'jurisdiction' && k !== 'domain' && k !== 'attestations') return false;
  else n++;
  if (n !== 4 || !Array.isArray(cell.attestations)) return false;
  const list = cell.attestations;
  for (let i = 0; i < list.length; i++) {
    const a = list[i]!;
    if (i > 0 && list[i - 1]!.digest >= a.digest) return false;
    let m = 0;
    for (const k in a) {
      if (!ATTESTATION_FIELDS.has(k)) return false;
      m++;
    }
    if (m !== ATTESTATION_FIELDS.size) return false;
  }
  return true;
}

const ATTESTATION_FIELDS: ReadonlySet<string> = new Set(['digest', 'issuer_did', 'issued_at', 'expires_at', 'state', 'revoked']);

/** SHA-256 of the canonical cell. */
export function cellDigest(cell: TensorCell): string {
  return sha256Hex(canonicalCellText(cell));
}

function sameContent(a: Attestation, b: Attestation): boolean {
  return a.issuer_did === b.issuer_did && a.issued_at === b.issued_at && a.expires_at === b.expires_at && a.state === b.state;
}

/**
 * Adds an attestation to a cell (undefined: a new cell). Recording the same attestation again is a no-op
 * (`changed: false`), and a revocation already recorded for it is kept. A different attestation under a digest
 * the cell already holds is an `AttestationConflictError`.
 */
export function withAttestation(cell: TensorCell | undefined, key: CellKey, attestation: Attestation): { cell: TensorCell; changed: boolean } {
  const base: TensorCell = cell ?? { subject: key.subject, jurisdiction: key.jurisdiction, domain: key.domain, attestations: [] };
  const existing = base.attestations.find((a) => a.digest === attestation.digest);
  if (existing) {
    if (!sameContent(existing, attestation)) throw new AttestationConflictError(key, attestation.digest);
    if (existing.revoked || !attestation.revoked) return { cell: base, changed: false };
    return withRevocation(base, attestation.digest);
  }
  return { cell: { ...base, attestations: insertedByDigest(base.attestations, attestation) }, changed: true };
}

/** `list` plus `a`, sorted by digest: an insertion when `list` is sorted already (cells always are), else a sort. */
function insertedByDigest(list: readonly Attestation[], a: Attestation): Attestation[] {
  let at = list.length;
  for (let i = 0; i < list.length; i++) {
    if (i > 0 && list[i - 1]!.digest >= list[i]!.digest) return [...list, a].sort((x, y) => (x.digest < y.digest ? -1 : 1));
    if (at === list.length && list[i]!.digest > a.digest) at = i;
  }
  const out = new Array<Attestation>(list.length + 1);
  for (let i = 0; i < at; i++) out[i] = list[i]!;
  out[at] = a;
  for (let i = at; i < list.length; i++) out[i + 1] = list[i]!;
  return out;
}

/** Marks the attestation `digest` of a cell revoked; `changed: false` when it was already revoked or is absent. */
export function withRevocation(cell: TensorCell, digest: string): { cell: TensorCell; changed: boolean } {
  let changed = false;
  const attestations = cell.attestations.map((a) => {
    if (a.digest !== digest || a.revoked) return a;
    changed = true;
    return { ...a, revoked: true };
  });
  return changed ? { cell: { ...cell, attestations }, changed } : { cell, changed };
}

export type CellReason =
  /** No attestation was ever recorded for these coordinates. */
  | 'missing'
  /** Every issuer's latest attestation is revoked. */
  | 'no-standing-attestation'
  /** The state comes from standing attestations, none of which has expired. */
  | 'attested'
  /** A standing attestation asserting a passing state has expired, which made it non_compliant. */
  | 'expired';

export interface CellEvaluation {
  readonly state: ComplianceState;
  readonly reason: CellReason;
  /** Digests of the standing attestations (the latest non-revoked word of each issuer), sorted. */
  readonly standing: readonly string[];
  /** Digests of the standing attestations that had expired at the read time, sorted. */
  readonly expired: readonly string[];
}

/**
 * The state of a cell at `atMs` (epoch milliseconds):
 * 1. each issuer's latest attestations (greatest `issued_at`) are its word; those of them not revoked stand (an
 *    issuer whose latest attestation is revoked contributes nothing);
 * 2. a standing attestation asserting a passing state whose `expires_at` ≤ the read time counts as
 *    `non_compliant`; any other counts as the state it asserts;
 * 3. the cell's state is the meet of what the standing attestations count as; with none standing, `pending`.
 * The result depends only on the set of attestations and the read time (never on the order they arrived), and
 * a later read time can only lower it.
 */
export function evaluateCell(cell: TensorCell | undefined, atMs: number): CellEvaluation {
  if (cell === undefined || cell.attestations.length === 0) return { state: MISSING_CELL_STATE, reason: 'missing', standing: [], expired: [] };
  const latest = new Map<string, number>();
  for (const a of cell.attestations) {
    const t = timestampMillis(a.issued_at)!;
    const prev = latest.get(a.issuer_did);
    if (prev === undefined || t > prev) latest.set(a.issuer_did, t);
  }
  const standing: string[] = [];
  const expired: string[] = [];
  const counted: ComplianceState[] = [];
  for (const a of cell.attestations) {
    if (a.revoked || timestampMillis(a.issued_at) !== latest.get(a.issuer_did)) continue;
    standing.push(a.digest);
    if (a.expires_at !== null && isPassing(a.state) && timestampMillis(a.expires_at)! <= atMs) {
      expired.push(a.digest);
      counted.push('non_compliant');
    } else counted.push(a.state);
  }
  if (standing.length === 0) return { state: MISSING_CELL_STATE, reason: 'no-standing-attestation', standing, expired };
  standing.sort();
  expired.sort();
  return { state: meetAll(counted), reason: expired.length > 0 ? 'expired' : 'attested', standing, expired };
}
