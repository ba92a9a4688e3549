import { base58 } from '@scure/base';
import { ProtocolError } from '../errors';

/** Multicodec prefix of an Ed25519 public key (0xed as an unsigned varint: 0xed 0x01). */
const ED25519_MULTICODEC = Uint8Array.of(0xed, 0x01);

/** `did:key:z` + base58btc(0xed 0x01 ‖ public key). */
export function didKeyFromPublicKey(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new ProtocolError('invalid-key', `Ed25519 public key must be 32 bytes, got ${publicKey.length}`);
  const bytes = new Uint8Array(34);
  bytes.set(ED25519_MULTICODEC, 0);
  bytes.set(publicKey, 2);
  return 'did:key:z' + base58.encode(bytes);
}

/** The DID without any `#fragment`. */
export function baseDid(didOrVerificationMethod: string): string {
  const hash = didOrVerificationMethod.indexOf('#');
  return hash < 0 ? didOrVerificationMethod : didOrVerificationMethod.slice(0, hash);
}

/**
 * Resolves a did:key (fragment ignored) to its 32-byte Ed25519 public key. Accepts the two-byte multicodec
 * prefix and, like the reference, the one-byte `0xed` form some early tooling wrote.
 */
export function publicKeyFromDidKey(didOrVerificationMethod: string): Uint8Array {
  const did = baseDid(didOrVerificationMethod);
  // Decoding base58 costs a good share of a verification, and a node sees the same few keys all day.
  const cached = decodedKeys.get(did);
  if (cached) return cached.slice();
  const key = decodePublicKey(did);
  if (decodedKeys.size >= DECODED_KEYS_LIMIT) decodedKeys.delete(decodedKeys.keys().next().value as string);
  decodedKeys.set(did, key.slice());
  return key;
}

const decodedKeys = new Map<string, Uint8Array>();
const DECODED_KEYS_LIMIT = 4096;

function decodePublicKey(did: string): Uint8Array {
  if (!did.startsWith('did:key:z')) throw new ProtocolError('invalid-did-key', 'Only did:key verificationMethod is supported');
  let bytes: Uint8Array;
  try {
    bytes = base58.decode(did.slice('did:key:z'.length));
  } catch {
    throw new ProtocolError('invalid-did-key', 'did:key is not valid base58btc');
  }
  if (bytes.length === 34 && bytes[0] === 0xed && bytes[1] === 0x01) return bytes.subarray(2);
  if (bytes.length === 33 && bytes[0] === 0xed) return bytes.subarray(1);
  throw new ProtocolError('invalid-did-key', 'did:key does not hold an Ed25519 public key');
}
