import { ProtocolError } from '../errors';
import { canonicalBytes } from '../json/canonical';
import { isJsonObject, type JsonObject } from '../json/json-value';
import { publicKeyFromDidKey } from '../keys/did-key';
import { Ed25519KeyPair, verifyEd25519 } from '../keys/ed25519';

export const PROOF_TYPE = 'MsezEd25519Signature2025';
export const PROOF_PURPOSE = 'assertionMethod';

/** A proof as the reference writes it. `jws` is base64url of the raw 64-byte signature, not a JWS. */
export interface MsezProof {
  type: typeof PROOF_TYPE;
  created: string;
  verificationMethod: string;
  proofPurpose: typeof PROOF_PURPOSE;
  jws: string;
}

/** Which check a proof failed, in the order the reference applies them. */
export type ProofCheck =
  | 'proof-shape'
  | 'proof-type'
  | 'created'
  | 'verification-method'
  | 'proof-purpose'
  | 'jws-format'
  | 'signature-length'
  | 'signature';

export interface ProofResult {
  verificationMethod: string;
  ok: boolean;
  /** Set when `ok` is false. */
  check?: ProofCheck;
  error?: string;
}

const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

/** The signed message: canonical bytes of the document without its top-level `proof`. */
export function signingInput(document: JsonObject): Buffer {
  return canonicalBytes(withoutKeys(document, 'proof'));
}

export function withoutKeys<T extends object>(obj: T, ...keys: string[]): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) if (!keys.includes(k)) out[k] = (obj as Record<string, unknown>)[k];
  return out as Partial<T>;
}

/** Seconds-precision UTC timestamp, the only form the proof `created` field allows. */
export function utcSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface SignOptions {
  created?: string;
  verificationMethod?: string;
}

/** Builds the proof object over `document` (any existing proofs are not part of the signed bytes). */
export function createProof(document: JsonObject, key: Ed25519KeyPair, options: SignOptions = {}): MsezProof {
  const created = options.created ?? utcSeconds(new Date());
  if (!CREATED.test(created)) throw new ProtocolError('invalid-proof', `proof.created must be RFC3339 (seconds, Z), got ${JSON.stringify(created)}`);
  return {
    type: PROOF_TYPE,
    created,
    verificationMethod: options.verificationMethod ?? key.verificationMethod,
    proofPurpose: PROOF_PURPOSE,
    jws: key.sign(signingInput(document)).toString('base64url'),
  };
}

/**
 * Returns a copy of `document` with one more proof: the first proof is stored as an object, further
 * proofs turn `proof` into an array (co-signatures), exactly as the reference does.
 */
export function addProof<T extends JsonObject>(document: T, key: Ed25519KeyPair, options: SignOptions = {}): T {
  const proof = createProof(document, key, options) as unknown as JsonObject;
  const existing = document.proof;
  let next: JsonObject | JsonObject[];
  if (Array.isArray(existing)) next = [...(existing as JsonObject[]), proof];
  else if (isJsonObject(existing)) next = [existing, proof];
  else next = proof;
  return { ...document, proof: next } as T;
}

/** The proofs of a document as a list (an object counts as one proof; anything else as none). */
export function proofList(document: JsonObject): unknown[] {
  const p = document.proof;
  if (Array.isArray(p)) return p;
  if (isJsonObject(p)) return [p];
  return [];
}

/**
 * One result per proof, in order. The signing input is computed once for all of them. With `untilFirstValid`,
 * verification stops after the first proof that verifies (the results end there): enough for "at least one
 * valid proof", at a fraction of the cost for co-signed documents.
 */
export function verifyProofs(document: JsonObject, options: { untilFirstValid?: boolean } = {}): ProofResult[] {
  const proofs = proofList(document);
  if (proofs.length === 0) return [];
  let message: Buffer | undefined;
  const results: ProofResult[] = [];
  for (const p of proofs) {
    const r = verifyOneProof(p);
    results.push(r);
    if (r.ok && options.untilFirstValid) break;
  }
  return results;

  function verifyOneProof(p: unknown): ProofResult {
    const result = checkProofFields(p);
    if (!result.ok) return result;
    message ??= signingInput(document);
    const proof = p as MsezProof;
    const signature = Buffer.from(proof.jws, 'base64url');
    const publicKey = publicKeyFromDidKey(proof.verificationMethod);
    return verifyEd25519(publicKey, message, signature)
      ? { verificationMethod: proof.verificationMethod, ok: true }
      : { verificationMethod: proof.verificationMethod, ok: false, check: 'signature', error: 'Ed25519 signature does not verify' };
  }
}

/** Every check before the signature itself, in the reference's order. */
function checkProofFields(p: unknown): ProofResult {
  if (!isJsonObject(p)) return { verificationMethod: '', ok: false, check: 'proof-shape', error: 'proof must be an object' };
  const vm = typeof p.verificationMethod === 'string' ? p.verificationMethod : '';
  const fail = (check: ProofCheck, error: string): ProofResult => ({ verificationMethod: vm, ok: false, check, error });
  if (p.type !== PROOF_TYPE) return fail('proof-type', `Unsupported proof.type: ${pyRepr(p.type)} (expected ${PROOF_TYPE})`);
  if (typeof p.created !== 'string' || !CREATED.test(p.created)) {
    return fail('created', "proof.created must be RFC3339 (seconds, Z) like '2025-01-01T00:00:00Z'");
  }
  if (!vm.startsWith('did:key:')) return fail('verification-method', 'Only did:key verificationMethod is supported');
  try {
    publicKeyFromDidKey(vm);
  } catch (e) {
    return fail('verification-method', (e as Error).message);
  }
  if (p.proofPurpose !== PROOF_PURPOSE) return fail('proof-purpose', `Unsupported proof.proofPurpose: ${pyRepr(p.proofPurpose)}`);
  if (typeof p.jws !== 'string' || p.jws === '' || !B64URL.test(p.jws)) {
    return fail('jws-format', 'proof.jws must be base64url (A-Z a-z 0-9 _ -) with no padding');
  }
  const bytes = Buffer.from(p.jws, 'base64url');
  if (bytes.length !== 64) return fail('signature-length', `Ed25519 signature must be 64 bytes, got ${bytes.length}`);
  // One text per signature: a last character whose two unused bits are set decodes to the same bytes, which would
  // make a second, different-looking proof of the same signature (spec/protocol.md §Proofs; the reference's lenient
  // decoder accepts it).
  if (bytes.toString('base64url') !== p.jws) return fail('jws-format', 'proof.jws is not the canonical base64url of its 64 bytes (unused bits of the last character are set)');
  return { verificationMethod: vm, ok: true };
}

/** Python-style repr of a scalar, so messages read like the reference's. */
function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined || v === null) return 'None';
  return JSON.stringify(v);
}
