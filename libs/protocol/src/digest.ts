import * as crypto from 'node:crypto';
import { ProtocolError } from './errors';
import { canonicalize } from './json/canonical';

/** Lowercase hex SHA-256, no prefix: the protocol's only digest format. */
export function sha256Hex(data: string | Uint8Array): string {
  return crypto.hash('sha256', data, 'hex');
}

/** SHA-256 of the canonical bytes of a value. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonicalize(value));
}

const HEX64 = /^[a-f0-9]{64}$/;

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && HEX64.test(value);
}

/**
 * The reference's `_coerce_sha256`: an ArtifactRef contributes its `digest_sha256`; a string is trimmed and
 * lower-cased. Returns '' for empty input; throws on anything that is not 64 hex digits.
 */
export function coerceDigest(value: unknown): string {
  let raw: unknown = value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) raw = (value as Record<string, unknown>).digest_sha256;
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') throw new ProtocolError('invalid-digest', `digest must be a string, got ${typeof raw}`);
  const d = raw.trim().toLowerCase();
  if (d === '') return '';
  if (!HEX64.test(d)) throw new ProtocolError('invalid-digest', `not a sha256 hex digest: ${JSON.stringify(raw.slice(0, 80))}`);
  return d;
}

/** Digest-set normalization: coerce, drop empties, reject non-hex, dedupe, sort ascending. */
export function normalizeDigestSet(values: unknown): string[] {
  if (values === undefined || values === null) return [];
  if (!Array.isArray(values)) throw new ProtocolError('invalid-digest', 'a digest set must be an array');
  const set = new Set<string>();
  for (const v of values) {
    const d = coerceDigest(v);
    if (d) set.add(d);
  }
  return [...set].sort();
}
