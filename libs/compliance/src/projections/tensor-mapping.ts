import { digestOf, withoutKeys } from '@corridor/protocol';
import { isHexDigest } from '../tensor/hex';
import { requireAttestation, requireCellKey, TensorInputError, type Attestation, type CellKey } from '../tensor/cell';
import { COMPLIANCE_DOMAINS, isComplianceDomain, type ComplianceDomain } from '../tensor/domains';
import { isComplianceState, type ComplianceState } from '../tensor/states';
import { normalizeTimestamp } from '../tensor/time';
import { COMPLIANCE_ATTESTATION_FAMILY, LICENCE_FAMILY, SANCTIONS_FAMILY } from './event-types';

/**
 * How corridor transitions become tensor cells (spec/compliance-tensor.md §6). Pure: a transition (kind,
 * payload, digest, the time it was recorded) in, attestations and revocations out, or the reason it cannot be
 * mapped. Payloads of these families are free-form in the transition-kind registry; the fields read here are
 * the convention the node's API documents for them.
 */

export interface CellAttestation {
  readonly key: CellKey;
  readonly attestation: Attestation;
}

export type TensorInput =
  | { readonly kind: 'cells'; readonly attest: readonly CellAttestation[]; readonly revoke: readonly string[] }
  /** Nothing for the tensor (e.g. a sanctions list-version notice). */
  | { readonly kind: 'none' }
  /** The transition belongs to a mapped family but cannot be mapped; the reason is kept for operators. */
  | { readonly kind: 'rejected'; readonly reason: string };

export interface TransitionInput {
  readonly kind: string;
  readonly payload: unknown;
  /** Digest of the transition (its envelope's `payload_sha256`). */
  readonly digest: string;
  /** When the corridor recorded it (tensor time): the default `issued_at`. */
  readonly recordedAt: string;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reject extends Error {}

function reject(reason: string): never {
  throw new Reject(reason);
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/** `credentialSubject` of a credential, or the object itself. */
function subjectOf(o: Obj): Obj {
  return isObject(o.credentialSubject) ? o.credentialSubject : o;
}

function credentialOf(payload: Obj): Obj | undefined {
  if (isObject(payload.credential)) return payload.credential;
  if (isObject(payload.credentialSubject)) return payload;
  return undefined;
}

function issuerOfCredential(vc: Obj): string | undefined {
  if (typeof vc.issuer === 'string') return vc.issuer;
  if (isObject(vc.issuer) && typeof vc.issuer.id === 'string') return vc.issuer.id;
  return undefined;
}

/** SHA-256 of a credential without its proof: the same digest the domain library records for evidence. */
export function credentialDigest(vc: Obj): string {
  return digestOf(withoutKeys(vc, 'proof'));
}

function time(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const t = normalizeTimestamp(value);
  if (t === null) reject(`${field} is not an RFC 3339 date-time: ${JSON.stringify(value)}`);
  return t;
}

function domainsOf(fields: Obj, fallback: readonly ComplianceDomain[]): ComplianceDomain[] {
  const raw = fields.domains ?? (fields.domain === undefined ? undefined : [fields.domain]);
  if (raw === undefined) {
    if (fallback.length === 0) reject('names no domain (domain or domains)');
    return [...fallback];
  }
  if (!Array.isArray(raw) || raw.length === 0) reject('domains must be a non-empty list');
  for (const d of raw) if (!isComplianceDomain(d)) reject(`unknown domain ${JSON.stringify(d)} (the domains are ${COMPLIANCE_DOMAINS.join(', ')})`);
  return [...new Set(raw as ComplianceDomain[])];
}

function cells(subject: unknown, jurisdiction: unknown, domains: readonly ComplianceDomain[], a: Omit<Attestation, 'revoked'>): CellAttestation[] {
  if (text(subject) === undefined) reject('names no subject');
  if (text(jurisdiction) === undefined) reject('names no jurisdiction');
  const attestation = requireAttestation({ ...a, revoked: false });
  return domains.map((domain) => ({ key: requireCellKey({ subject, jurisdiction, domain }), attestation }));
}

/** Common reading: credential (if any), fields, issuer, times, digest. */
function common(t: TransitionInput, payload: Obj, issuedAlias?: unknown) {
  const vc = credentialOf(payload);
  // A payload that is itself a credential contributes its subject only; otherwise the payload's own fields win.
  const own: Obj = vc === undefined ? payload : vc === payload ? {} : (withoutKeys(payload, 'credential') as Obj);
  const fields: Obj = vc === undefined ? payload : { ...subjectOf(vc), ...own };
  const issuer = text(own.issuer_did) ?? (vc ? issuerOfCredential(vc) : undefined);
  if (issuer === undefined) reject('names no issuer (issuer_did, or the credential issuer)');
  const issued =
    time(own.issued_at ?? issuedAlias, 'issued_at') ??
    (vc ? (time(vc.validFrom, 'validFrom') ?? time(vc.issuanceDate, 'issuanceDate')) : undefined) ??
    t.recordedAt;
  const expires = time(own.expires_at ?? own.valid_until, 'expires_at') ?? (vc ? (time(vc.validUntil, 'validUntil') ?? time(vc.expirationDate, 'expirationDate')) : undefined) ?? null;
  let digest: string;
  if (vc) digest = credentialDigest(vc);
  else if (payload.attestation_digest_sha256 !== undefined) {
    if (!isHexDigest(payload.attestation_digest_sha256)) reject('attestation_digest_sha256 must be 64 lowercase hex');
    digest = payload.attestation_digest_sha256;
  } else digest = t.digest;
  return { vc, fields, issuer, issued, expires, digest };
}

function subjectField(fields: Obj): unknown {
  return fields.subject ?? fields.subject_id ?? fields.entity_id ?? fields.asset_id ?? fields.holder ?? fields.id;
}

/** `compliance.attestation.*`: an attestation of a state, or (`compliance.attestation.revoked.*`) a revocation. */
function mapComplianceAttestation(t: TransitionInput, payload: Obj): TensorInput {
  const rest = t.kind.slice(COMPLIANCE_ATTESTATION_FAMILY.length);
  if (rest === 'revoked' || rest.startsWith('revoked.')) {
    const digest = payload.attestation_digest_sha256 ?? payload.digest;
    if (!isHexDigest(digest)) reject('a revocation names the revoked attestation by attestation_digest_sha256 (64 lowercase hex)');
    return { kind: 'cells', attest: [], revoke: [digest] };
  }
  const c = common(t, payload);
  const state = c.fields.state ?? c.fields.status;
  if (!isComplianceState(state)) reject(`state must be one of non_compliant, pending, not_applicable, exempt, compliant; got ${JSON.stringify(state ?? null)}`);
  const domains = domainsOf(c.fields, []);
  return {
    kind: 'cells',
    attest: cells(subjectField(c.fields), c.fields.jurisdiction ?? c.fields.jurisdiction_id, domains, {
      digest: c.digest,
      issuer_did: c.issuer,
      issued_at: c.issued,
      expires_at: c.expires,
      state,
    }),
    revoke: [],
  };
}

const SCREENING_RESULTS: Readonly<Record<string, ComplianceState>> = {
  clear: 'compliant',
  no_match: 'compliant',
  match: 'non_compliant',
  hit: 'non_compliant',
  potential_match: 'pending',
  under_review: 'pending',
};

/**
 * `sanctions.screening.*` (result clear/no_match → compliant, match/hit → non_compliant, potential_match/
 * under_review → pending), `sanctions.designated.*` (→ non_compliant), `sanctions.delisted.*` (→ compliant),
 * `sanctions.list.*` (a list-version notice: nothing for the tensor). Domain: sanctions.
 */
function mapSanctions(t: TransitionInput, payload: Obj): TensorInput {
  const family = t.kind.slice(SANCTIONS_FAMILY.length).split('.')[0]!;
  if (family === 'list') return { kind: 'none' };
  if (family !== 'screening' && family !== 'designated' && family !== 'delisted') {
    return reject(`sanctions kind ${t.kind} has no tensor meaning (screening, designated, delisted, list)`);
  }
  const c = common(t, payload, payload.screened_at ?? payload.effective_at);
  let state: ComplianceState;
  if (family === 'screening') {
    const result = c.fields.result;
    const s = typeof result === 'string' && Object.prototype.hasOwnProperty.call(SCREENING_RESULTS, result) ? SCREENING_RESULTS[result] : undefined;
    if (s === undefined) reject(`screening result must be one of ${Object.keys(SCREENING_RESULTS).join(', ')}; got ${JSON.stringify(result ?? null)}`);
    state = s;
  } else state = family === 'designated' ? 'non_compliant' : 'compliant';
  return {
    kind: 'cells',
    attest: cells(subjectField(c.fields), c.fields.jurisdiction ?? c.fields.jurisdiction_id, domainsOf(c.fields, ['sanctions']), {
      digest: c.digest,
      issuer_did: c.issuer,
      issued_at: c.issued,
      expires_at: c.expires,
      state,
    }),
    revoke: [],
  };
}

const LICENCE_STATES: Readonly<Record<string, ComplianceState>> = {
  granted: 'compliant',
  renewed: 'compliant',
  reinstated: 'compliant',
  suspended: 'non_compliant',
  revoked: 'non_compliant',
  expired: 'non_compliant',
  surrendered: 'non_compliant',
};

/** `licence.<granted|renewed|reinstated>.*` → compliant until `valid_until`; suspended/revoked/expired/surrendered → non_compliant. Domain: licensing unless named. */
function mapLicence(t: TransitionInput, payload: Obj): TensorInput {
  const family = t.kind.slice(LICENCE_FAMILY.length).split('.')[0]!;
  const state = Object.prototype.hasOwnProperty.call(LICENCE_STATES, family) ? LICENCE_STATES[family] : undefined;
  if (state === undefined) reject(`licence kind ${t.kind} has no tensor meaning (${Object.keys(LICENCE_STATES).join(', ')})`);
  const c = common(t, payload, payload.effective_at ?? payload.valid_from);
  return {
    kind: 'cells',
    attest: cells(subjectField(c.fields), c.fields.jurisdiction ?? c.fields.jurisdiction_id, domainsOf(c.fields, ['licensing']), {
      digest: c.digest,
      issuer_did: c.issuer,
      issued_at: c.issued,
      // A withdrawal does not expire; a grant expires with the licence.
      expires_at: state === 'compliant' ? c.expires : null,
      state,
    }),
    revoke: [],
  };
}

/** Maps a corridor transition of the compliance, sanctions or licence families; other kinds give `none`. */
export function mapCorridorTransition(t: TransitionInput): TensorInput {
  const mapper = t.kind.startsWith(COMPLIANCE_ATTESTATION_FAMILY)
    ? mapComplianceAttestation
    : t.kind.startsWith(SANCTIONS_FAMILY)
      ? mapSanctions
      : t.kind.startsWith(LICENCE_FAMILY)
        ? mapLicence
        : undefined;
  if (!mapper) return { kind: 'none' };
  if (!isObject(t.payload)) return { kind: 'rejected', reason: `${t.kind}: the payload must be a JSON object` };
  try {
    return mapper(t, t.payload);
  } catch (e) {
    if (e instanceof Reject || e instanceof TensorInputError) return { kind: 'rejected', reason: `${t.kind}: ${e.message}` };
    throw e;
  }
}
