import { createHash, randomBytes } from 'node:crypto';
import { ProtocolError } from '../errors';
import { baseDid, publicKeyFromDidKey } from '../keys/did-key';
import { verifyEd25519, type Ed25519KeyPair } from '../keys/ed25519';

/**
 * Requests signed by a did:key — how peer nodes and watchers authenticate to a node (spec/security.md). The
 * `Authorization` header carries the signer, a Unix time, a one-time nonce and an Ed25519 signature over
 *
 *     corridor-request-v1 \n METHOD \n PATH?QUERY \n TIME \n NONCE \n SHA256(body) hex
 *
 * so a captured request cannot be replayed (the nonce is remembered for the time window), re-targeted (method and
 * path are signed) or altered (the body digest is signed).
 */
export const REQUEST_SIGNATURE_SCHEME = 'CorridorSig';
const VERSION = 'corridor-request-v1';
const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const SIG = /^[A-Za-z0-9_-]{86}$/;

export interface SignedRequestParts {
  did: string;
  time: number;
  nonce: string;
  signature: string;
}

export interface RequestToSign {
  method: string;
  /** Path and query exactly as sent, e.g. `/corridors/x/receipts?after=3`. */
  path: string;
  body?: string | Uint8Array;
}

function signingString(req: RequestToSign, time: number, nonce: string): Buffer {
  const body = req.body === undefined ? Buffer.alloc(0) : typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : Buffer.from(req.body);
  const digest = createHash('sha256').update(body).digest('hex');
  return Buffer.from([VERSION, req.method.toUpperCase(), req.path, String(time), nonce, digest].join('\n'), 'utf8');
}

/** The `Authorization` header value for a request signed by `key` now (or at `time`, Unix seconds). */
export function signRequest(req: RequestToSign, key: Ed25519KeyPair, options: { time?: number; nonce?: string } = {}): string {
  const time = options.time ?? Math.floor(Date.now() / 1000);
  const nonce = options.nonce ?? randomBytes(18).toString('base64url');
  const signature = key.sign(signingString(req, time, nonce)).toString('base64url');
  return `${REQUEST_SIGNATURE_SCHEME} did="${key.did}", ts="${time}", nonce="${nonce}", sig="${signature}"`;
}

/** Parses the header; throws ProtocolError('invalid-request-signature') naming what is wrong. */
export function parseRequestSignature(header: string): SignedRequestParts {
  const bad = (why: string): never => {
    throw new ProtocolError('invalid-request-signature', why);
  };
  if (typeof header !== 'string' || header.length > 1024) bad('the Authorization header is missing or too long');
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== REQUEST_SIGNATURE_SCHEME) bad(`the Authorization scheme must be ${REQUEST_SIGNATURE_SCHEME}`);
  const fields: Record<string, string> = {};
  for (const part of header.slice(space + 1).split(',')) {
    const m = /^\s*([a-z]+)="([^"]*)"\s*$/.exec(part);
    if (!m) bad(`malformed ${REQUEST_SIGNATURE_SCHEME} parameter ${JSON.stringify(part.trim().slice(0, 40))}`);
    if (fields[m![1]!] !== undefined) bad(`parameter ${m![1]} is given twice`);
    fields[m![1]!] = m![2]!;
  }
  const { did, ts, nonce, sig } = fields;
  if (!did || !did.startsWith('did:key:') || did.includes('#')) bad('did must be a did:key');
  if (!ts || !/^\d{1,12}$/.test(ts)) bad('ts must be Unix seconds');
  if (!nonce || !NONCE.test(nonce)) bad('nonce must be 16-64 characters of A-Z a-z 0-9 _ -');
  if (!sig || !SIG.test(sig)) bad('sig must be a base64url Ed25519 signature');
  // One encoding per signature: the last character's two unused bits must be zero (no malleable variants).
  if (Buffer.from(sig!, 'base64url').toString('base64url') !== sig) bad('sig is not the canonical base64url of a 64-byte signature');
  return { did: did!, time: Number(ts), nonce: nonce!, signature: sig! };
}

/**
 * Verifies a parsed signature over the request: the time within `windowSeconds` of `now` and the signature by the
 * did's key. (Nonce uniqueness is the caller's: it needs memory across requests.)
 */
export function verifyRequestSignature(parts: SignedRequestParts, req: RequestToSign, options: { now?: number; windowSeconds: number }): { ok: true; did: string } | { ok: false; reason: string } {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - parts.time) > options.windowSeconds) return { ok: false, reason: `the signed time ${parts.time} is outside the ${options.windowSeconds} s window around ${now}` };
  let publicKey: Uint8Array;
  try {
    publicKey = publicKeyFromDidKey(parts.did);
  } catch (e) {
    return { ok: false, reason: `did ${parts.did} is not an Ed25519 did:key: ${(e as Error).message}` };
  }
  const signature = Buffer.from(parts.signature, 'base64url');
  if (!verifyEd25519(publicKey, signingString(req, parts.time, parts.nonce), signature)) return { ok: false, reason: 'the request signature does not verify' };
  return { ok: true, did: baseDid(parts.did) };
}
