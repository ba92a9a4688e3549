import * as crypto from 'node:crypto';
import { baseDid, publicKeyFromDidKey } from '@corridor/protocol';

/**
 * Proof checks of the watcher's hot path: the protocol's `MsezEd25519Signature2025` rules (spec/protocol.md §3),
 * applied in the protocol's order, with the verification method resolved once per distinct method (base58 decode
 * and KeyObject construction cost as much as a verification) and the signature checked by node's crypto.
 */

/** Who may sign a corridor's receipts and checkpoints, as the watcher learnt it from the corridor view. */
export interface SignerPolicy {
  /** The did:key whose proof must come first (peered corridors: the sequencer; a lone corridor: the node). */
  readonly sequencer: string;
  /** Every did:key allowed to sign (base DIDs, no fragment). */
  readonly signers: ReadonlySet<string>;
  /** Peered corridor: the first proof must be the sequencer's. */
  readonly peered: boolean;
}

export function signerPolicy(sequencer: string, signers: Iterable<string>, peered: boolean): SignerPolicy {
  const set = new Set<string>([...signers].map((s) => baseDid(s)));
  set.add(baseDid(sequencer));
  return { sequencer: baseDid(sequencer), signers: set, peered };
}

export type ProofFailure = 'no-proof' | 'bad-proof' | 'unknown-signer' | 'not-sequencer' | 'bad-signature';

export interface ProofsOk {
  ok: true;
  /** Base DIDs of the proofs, in order (all verified). */
  signers: string[];
}
export interface ProofsFailed {
  ok: false;
  check: ProofFailure;
  detail: string;
}

interface ResolvedMethod {
  did: string;
  key: crypto.KeyObject;
}

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const CREATED = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const B64URL = /^[A-Za-z0-9_-]+$/;
const METHOD_CACHE_LIMIT = 1024;
const methods = new Map<string, ResolvedMethod | string>();

/** A verification method's DID and public KeyObject, or why it cannot be one (cached either way). */
function resolveMethod(vm: string): ResolvedMethod | string {
  let r = methods.get(vm);
  if (r !== undefined) return r;
  if (!vm.startsWith('did:key:')) r = 'only did:key verification methods are supported';
  else {
    try {
      const pub = publicKeyFromDidKey(vm);
      r = { did: baseDid(vm), key: crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' }) };
    } catch (e) {
      r = (e as Error).message;
    }
  }
  if (methods.size >= METHOD_CACHE_LIMIT) methods.delete(methods.keys().next().value as string);
  methods.set(vm, r);
  return r;
}

/**
 * Verifies every proof of a document whose signing input (canonical bytes without `proof`) is `message`: each must
 * be well formed, by a signer of the policy, and verify; with `firstBySequencer`, the first one must be the
 * sequencer's. At least one proof is required.
 */
export function verifyDocumentProofs(proof: unknown, message: Buffer, policy: SignerPolicy, firstBySequencer: boolean, what: string): ProofsOk | ProofsFailed {
  const list: unknown[] = Array.isArray(proof) ? proof : proof !== null && typeof proof === 'object' ? [proof] : [];
  if (list.length === 0) return { ok: false, check: 'no-proof', detail: `${what} carries no proof` };
  const signers: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as Record<string, unknown> | null;
    const at = list.length === 1 ? 'its proof' : `proof ${i}`;
    if (p === null || typeof p !== 'object' || Array.isArray(p)) return { ok: false, check: 'bad-proof', detail: `${what}: ${at} is not an object` };
    if (p.type !== 'MsezEd25519Signature2025') return { ok: false, check: 'bad-proof', detail: `${what}: ${at} has type ${JSON.stringify(p.type)}, not MsezEd25519Signature2025` };
    if (typeof p.created !== 'string' || !CREATED.test(p.created)) return { ok: false, check: 'bad-proof', detail: `${what}: ${at} has no RFC 3339 (seconds, Z) created` };
    const vm = typeof p.verificationMethod === 'string' ? p.verificationMethod : '';
    const method = resolveMethod(vm);
    if (typeof method === 'string') return { ok: false, check: 'bad-proof', detail: `${what}: ${at}: verificationMethod ${JSON.stringify(vm.slice(0, 120))}: ${method}` };
    if (p.proofPurpose !== 'assertionMethod') return { ok: false, check: 'bad-proof', detail: `${what}: ${at} has proofPurpose ${JSON.stringify(p.proofPurpose)}` };
    const jws = p.jws;
    if (typeof jws !== 'string' || !B64URL.test(jws)) return { ok: false, check: 'bad-proof', detail: `${what}: ${at}: jws is not base64url` };
    const signature = Buffer.from(jws, 'base64url');
    if (signature.length !== 64) return { ok: false, check: 'bad-proof', detail: `${what}: ${at}: an Ed25519 signature is 64 bytes, got ${signature.length}` };
    if (i === 0 && firstBySequencer && method.did !== policy.sequencer) {
      return { ok: false, check: 'not-sequencer', detail: `${what} is signed first by ${method.did}, not by the sequencer ${policy.sequencer}` };
    }
    if (!policy.signers.has(method.did)) return { ok: false, check: 'unknown-signer', detail: `${what}: ${at} is by ${method.did}, not a signer of the corridor` };
    if (!crypto.verify(null, message, method.key, signature)) {
      return { ok: false, check: 'bad-signature', detail: `${what}: ${at} (by ${method.did}) does not verify` };
    }
    signers.push(method.did);
  }
  return { ok: true, signers };
}
