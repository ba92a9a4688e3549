import { baseDid, digestOf, isJsonObject, validateSchema, verifyProofs, withoutKeys, type JsonObject, type SchemaName } from '@corridor/protocol';
import { refuse, type DomainProblem } from './domain-error';

/** A credential whose proofs were checked with the protocol, with what deciders need from it. */
export interface VerifiedCredential {
  readonly credential: JsonObject;
  readonly types: readonly string[];
  readonly subject: JsonObject;
  /** Base DIDs with at least one valid proof: distinct, sorted. Invalid co-signatures are ignored. */
  readonly signers: readonly string[];
  /** SHA-256 of the canonical credential without `proof`: stable under co-signing, as the reference digests VCs. */
  readonly payloadSha256: string;
}

/**
 * How evidence appears in an event: the credential itself (so the receipt is verifiable offline) with its digest,
 * types and the signers whose proofs verified when the decision was made.
 */
export interface EvidenceRecord extends JsonObject {
  artifact_type: 'vc';
  digest_sha256: string;
  credential_types: string[];
  signers: string[];
  credential: JsonObject;
}

export function credentialTypes(credential: JsonObject): string[] {
  const t = credential.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * Verifies a credential: it must be an object with a `credentialSubject` object and at least one valid proof
 * (the reference's rule for evidence). Refuses with `invalid-evidence`, naming `what` and the failed check.
 */
export function verifyCredential(value: unknown, what: string, problem: DomainProblem = 'invalid-evidence'): VerifiedCredential {
  if (!isJsonObject(value)) refuse(problem, `${what} is not a credential object`);
  const subject = value.credentialSubject;
  if (!isJsonObject(subject)) refuse(problem, `${what} has no credentialSubject object`);
  let results;
  try {
    results = verifyProofs(value);
  } catch (e) {
    refuse(problem, `${what} cannot be verified: ${(e as Error).message}`);
  }
  if (results.length === 0) refuse(problem, `${what} carries no proof`);
  const valid = results.filter((r) => r.ok);
  if (valid.length === 0) {
    const why = results.map((r, i) => `proof ${i} (${r.verificationMethod || 'no verificationMethod'}): ${r.check}: ${r.error}`).join('; ');
    refuse(problem, `${what} has no valid proof: ${why}`);
  }
  return {
    credential: value,
    types: credentialTypes(value),
    subject,
    signers: [...new Set(valid.map((r) => baseDid(r.verificationMethod)))].sort(),
    payloadSha256: digestOf(withoutKeys(value, 'proof')),
  };
}

export function evidenceRecord(vc: VerifiedCredential): EvidenceRecord {
  return {
    artifact_type: 'vc',
    digest_sha256: vc.payloadSha256,
    credential_types: [...vc.types],
    signers: [...vc.signers],
    credential: vc.credential,
  };
}

/** The credential subject must name this aggregate's corridor. */
export function requireSubjectCorridor(vc: VerifiedCredential, corridorId: string, what: string, problem: DomainProblem = 'invalid-evidence'): void {
  const id = vc.subject.corridor_id;
  if (id !== corridorId) {
    refuse(problem, `${what} is about corridor ${JSON.stringify(id ?? null)}, not ${JSON.stringify(corridorId)}`);
  }
}

/**
 * The credential must have the shape the protocol's JSON Schema gives its type (checked with the protocol's own
 * validator, so the node and the protocol tools agree on what a well-formed credential is).
 */
export function requireCredentialSchema(vc: VerifiedCredential, schema: SchemaName, what: string): void {
  const result = validateSchema(schema, vc.credential);
  if (!result.ok) refuse('invalid-evidence', `${what} does not match the ${schema} schema: ${result.errors.slice(0, 3).join('; ')}`);
}
