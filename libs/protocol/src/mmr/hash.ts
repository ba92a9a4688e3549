import * as crypto from 'node:crypto';
import { ProtocolError } from '../errors';

/**
 * MMR hashing (reference `tools/mmr.py`):
 *   leaf = SHA256(0x00 || next_root)      next_root = the 32-byte receipt digest
 *   node = SHA256(0x01 || left || right)
 *
 * Hashes travel as `Buffer` inside this module and as lowercase 64-hex strings at the API edges.
 * Hex input is accepted case-insensitively and trimmed (as the reference does); anything that is not then
 * exactly 64 hex digits is rejected.
 */

export const MMR_HASH_BYTES = 32;

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Trim + lowercase; returns the normalized 64-hex string, or `null` when the value is not a 32-byte hex digest.
 * (The reference's `_is_hex_32` would also let `bytes.fromhex` skip embedded spaces; we do not.)
 */
export function normalizeMmrHex(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (HEX64.test(value)) return value;
  const s = value.trim().toLowerCase();
  return HEX64.test(s) ? s : null;
}

/** Parses a 64-hex digest (trimmed, case-insensitive) into 32 bytes; throws `ProtocolError('invalid-digest')`. */
export function mmrHashFromHex(value: unknown, what = 'digest'): Buffer {
  const s = normalizeMmrHex(value);
  if (s === null) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
    throw new ProtocolError('invalid-digest', `${what} must be 64 hex characters, got ${shown}`);
  }
  return Buffer.from(s, 'hex');
}

/** Accepts a 32-byte array or a 64-hex string and returns a fresh 32-byte Buffer. */
export function mmrHashFromInput(value: string | Uint8Array, what = 'digest'): Buffer {
  if (typeof value === 'string') return mmrHashFromHex(value, what);
  if (value instanceof Uint8Array) {
    if (value.length !== MMR_HASH_BYTES) {
      throw new ProtocolError('invalid-digest', `${what} must be ${MMR_HASH_BYTES} bytes, got ${value.length}`);
    }
    return Buffer.from(value);
  }
  throw new TypeError(`${what} must be a 64-hex string or a 32-byte Uint8Array`);
}

// Scratch buffers for the hash preimages (everything here is synchronous, so sharing them is safe).
const leafPreimage = Buffer.alloc(1 + MMR_HASH_BYTES);
leafPreimage[0] = 0x00;
const nodePreimage = Buffer.alloc(1 + 2 * MMR_HASH_BYTES);
nodePreimage[0] = 0x01;

/**
 * SHA-256 of the preimage into a fresh Buffer. `crypto.hash` with a 'binary' (latin1: one char per byte) string
 * result and `Buffer.from(..., 'binary')` is an exact byte round trip, and on Node 20 it is markedly faster than
 * asking for a Buffer directly (which allocates a dedicated backing store per digest).
 */
function sha256(preimage: Buffer): Buffer {
  return Buffer.from(crypto.hash('sha256', preimage, 'binary'), 'binary');
}

/** leaf = SHA256(0x00 || nextRoot); `nextRoot` must be 32 bytes. */
export function mmrLeafHashBytes(nextRoot: Uint8Array): Buffer {
  if (nextRoot.length !== MMR_HASH_BYTES) {
    throw new ProtocolError('invalid-digest', `next_root must be ${MMR_HASH_BYTES} bytes, got ${nextRoot.length}`);
  }
  leafPreimage.set(nextRoot, 1);
  return sha256(leafPreimage);
}

/** leaf hash of a next_root given as hex (trimmed, case-insensitive). */
export function mmrLeafHashFromHex(nextRootHex: unknown): Buffer {
  const s = normalizeMmrHex(nextRootHex);
  if (s === null) {
    const shown = typeof nextRootHex === 'string' ? JSON.stringify(nextRootHex.slice(0, 80)) : typeof nextRootHex;
    throw new ProtocolError('invalid-digest', `next_root must be 64 hex characters, got ${shown}`);
  }
  leafPreimage.write(s, 1, MMR_HASH_BYTES, 'hex');
  return sha256(leafPreimage);
}

/** node = SHA256(0x01 || left || right); both children must be 32 bytes. */
export function mmrNodeHashBytes(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length !== MMR_HASH_BYTES || right.length !== MMR_HASH_BYTES) {
    throw new ProtocolError('invalid-digest', `MMR node children must be ${MMR_HASH_BYTES} bytes each`);
  }
  nodePreimage.set(left, 1);
  nodePreimage.set(right, 1 + MMR_HASH_BYTES);
  return sha256(nodePreimage);
}

/** Reference `mmr_leaf_hash(next_root_hex)`: lowercase hex of SHA256(0x00 || next_root). */
export function mmrLeafHash(nextRootHex: string): string {
  return mmrLeafHashFromHex(nextRootHex).toString('hex');
}

/** Reference `mmr_node_hash(left_hex, right_hex)`: lowercase hex of SHA256(0x01 || left || right). */
export function mmrNodeHash(leftHex: string, rightHex: string): string {
  return mmrNodeHashBytes(mmrHashFromHex(leftHex, 'left'), mmrHashFromHex(rightHex, 'right')).toString('hex');
}
