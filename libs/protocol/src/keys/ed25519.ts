import * as crypto from 'node:crypto';
import { ProtocolError } from '../errors';
import { didKeyFromPublicKey } from './did-key';

/** An Ed25519 key as a JSON Web Key (RFC 8037). `d` is present only for private keys. */
export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  d?: string;
  kid?: string;
}

// DER wrappers that turn raw 32-byte keys into the KeyObjects node's crypto wants.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A signing key. Signing uses node's own crypto (OpenSSL), the hot path; @noble/curves is kept for
 * browsers and as an independent implementation in tests.
 */
export class Ed25519KeyPair {
  readonly did: string;

  private constructor(
    private readonly privateKey: crypto.KeyObject,
    readonly publicKey: Buffer,
    readonly kid: string | undefined,
  ) {
    this.did = didKeyFromPublicKey(publicKey);
  }

  /** `did:key:…#kid`, or `#key-1` (the reference CLI's default) when the key has no `kid`. */
  get verificationMethod(): string {
    return `${this.did}#${this.kid ?? 'key-1'}`;
  }

  sign(message: Uint8Array | string): Buffer {
    return crypto.sign(null, typeof message === 'string' ? Buffer.from(message, 'utf8') : message, this.privateKey);
  }

  /** The 32-byte private seed. Handle with care: it is the key. */
  seed(): Buffer {
    const der = this.privateKey.export({ format: 'der', type: 'pkcs8' });
    return Buffer.from(der.subarray(der.length - 32));
  }

  toJwk(options: { includePrivate: boolean }): Ed25519Jwk {
    const jwk: Ed25519Jwk = { kty: 'OKP', crv: 'Ed25519', x: this.publicKey.toString('base64url') };
    if (options.includePrivate) jwk.d = this.seed().toString('base64url');
    if (this.kid !== undefined) jwk.kid = this.kid;
    return jwk;
  }

  static generate(kid?: string): Ed25519KeyPair {
    return Ed25519KeyPair.fromSeed(crypto.randomBytes(32), kid);
  }

  static fromSeed(seed: Uint8Array, kid?: string): Ed25519KeyPair {
    if (seed.length !== 32) throw new ProtocolError('invalid-key', `Ed25519 seed must be 32 bytes, got ${seed.length}`);
    const privateKey = crypto.createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const spki = crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    return new Ed25519KeyPair(privateKey, Buffer.from(spki.subarray(spki.length - 32)), kid);
  }

  static fromJwk(jwk: unknown): Ed25519KeyPair {
    const k = jwk as Partial<Ed25519Jwk> | null;
    if (!k || typeof k !== 'object' || k.kty !== 'OKP' || k.crv !== 'Ed25519') {
      throw new ProtocolError('invalid-key', 'expected an Ed25519 JWK (kty "OKP", crv "Ed25519")');
    }
    if (typeof k.d !== 'string') throw new ProtocolError('invalid-key', 'the JWK has no private part "d"');
    const seed = decodeB64Url(k.d, 'd');
    const pair = Ed25519KeyPair.fromSeed(seed, typeof k.kid === 'string' ? k.kid : undefined);
    if (typeof k.x === 'string' && !decodeB64Url(k.x, 'x').equals(pair.publicKey)) {
      throw new ProtocolError('invalid-key', 'the JWK public part "x" does not match its private part "d"');
    }
    return pair;
  }
}

export function generateEd25519KeyPair(kid?: string): Ed25519KeyPair {
  return Ed25519KeyPair.generate(kid);
}

export function keyPairFromJwk(jwk: unknown): Ed25519KeyPair {
  return Ed25519KeyPair.fromJwk(jwk);
}

function decodeB64Url(s: string, field: string): Buffer {
  if (!/^[A-Za-z0-9_-]{43}$/.test(s)) throw new ProtocolError('invalid-key', `JWK "${field}" must be 32 bytes of base64url`);
  return Buffer.from(s, 'base64url');
}

/** Public KeyObjects are cached: building one costs as much as a verification. */
const publicKeyCache = new Map<string, crypto.KeyObject>();
const PUBLIC_KEY_CACHE_LIMIT = 4096;

function publicKeyObject(publicKey: Uint8Array): crypto.KeyObject {
  const id = Buffer.from(publicKey).toString('hex');
  let key = publicKeyCache.get(id);
  if (!key) {
    key = crypto.createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeyCache.delete(publicKeyCache.keys().next().value as string);
    publicKeyCache.set(id, key);
  }
  return key;
}

/**
 * Signatures already found valid, by SHA-256 of (key, signature, message). A node verifies the same proof more than
 * once on its way in (the inbound check, then the ledger's own check before it stores it), and a hash costs a
 * fraction of a verification. Only successes are kept: the same bytes always verify the same way.
 */
const verifiedCache = new Set<string>();
const VERIFIED_CACHE_LIMIT = 16_384;

/** Ed25519 (RFC 8032) verification; false for any malformed input rather than an exception. */
export function verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const id = crypto.createHash('sha256').update(publicKey).update(signature).update(message).digest('base64');
  if (verifiedCache.has(id)) return true;
  let ok: boolean;
  try {
    ok = crypto.verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
  if (ok) {
    if (verifiedCache.size >= VERIFIED_CACHE_LIMIT) verifiedCache.delete(verifiedCache.values().next().value as string);
    verifiedCache.add(id);
  }
  return ok;
}
