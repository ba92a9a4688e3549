import * as crypto from 'node:crypto';

/**
 * Namespace of the ledger's name-based event ids (RFC 9562 UUIDv5). Fixed forever: changing it would change
 * every event id and break idempotent retries across versions.
 */
export const EVENT_ID_NAMESPACE = '68a7be3a-c60b-40b2-97bb-d95607bcbcd1';
const NAMESPACE_BYTES = Buffer.from(EVENT_ID_NAMESPACE.replace(/-/g, ''), 'hex');
const HEX64 = /^[a-f0-9]{64}$/;

/**
 * The event id of a receipt: UUIDv5(namespace, receipt digest). The digest (`next_root`) commits to the
 * chain id, sequence, previous root and transition, so the same receipt always gets the same id and any
 * other receipt a different one: a retried append is recognised by the store instead of duplicated.
 */
export function eventIdFromDigest(digestHex: string): string {
  if (!HEX64.test(digestHex)) throw new TypeError(`event ids derive from a lowercase sha256 hex digest, got ${JSON.stringify(digestHex)}`);
  return uuidV5(NAMESPACE_BYTES, digestHex);
}

/** RFC 9562 §5.5: SHA-1 of namespace ‖ name, truncated to 128 bits, version 5, RFC 4122 variant. */
export function uuidV5(namespace: Uint8Array | string, name: string): string {
  const ns = typeof namespace === 'string' ? Buffer.from(namespace.replace(/-/g, ''), 'hex') : namespace;
  if (ns.length !== 16) throw new TypeError('a UUID namespace is 16 bytes');
  const hash = crypto.createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC 4122 variant
  const h = hash.subarray(0, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isEventId(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
