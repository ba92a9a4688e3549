import { ProtocolError } from '../errors';

/**
 * Canonical bytes exactly as the reference (`tools/lawpack.py: jcs_canonicalize`) produces them:
 * `json.dumps(x, sort_keys=True, separators=(",",":"), ensure_ascii=False)` after rejecting floats.
 * Where that differs from RFC 8785 (see spec/canonical-json.md):
 * - floats are refused instead of formatted;
 * - integers print exactly at any size (`bigint`);
 * - object keys sort by Unicode code point, not UTF-16 code unit;
 * - strings escape only `"`, `\`, and U+0000–U+001F (named escapes where JSON has them), everything else
 *   is raw UTF-8 — which is precisely what JSON.stringify does for a well-formed string.
 * Properties whose value is `undefined` are omitted (they cannot occur in parsed JSON text).
 */
export function canonicalize(value: unknown): string {
  return serialize(value, 0);
}

export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

/**
 * Python's `json.dumps(x, sort_keys=True, separators=(",",":"))` with its default `ensure_ascii=True`:
 * DEL and every non-ASCII UTF-16 code unit become `\uXXXX` (lowercase hex, astral characters as surrogate pairs).
 * The reference hashes the corridor agreement set this way — a quirk we reproduce because it feeds the
 * genesis root.
 */
export function asciiSortedJson(value: unknown): string {
  return canonicalize(value).replace(/[\u007f-\uffff]/g, (ch) => '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0'));
}

export const FLOAT_ERROR = 'Floats are not allowed in JCS canonicalization. Use strings or integers.';
const MAX_DEPTH = 512;

function serialize(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value);
    case 'number':
      if (!Number.isInteger(value)) throw new ProtocolError('float-not-allowed', FLOAT_ERROR);
      return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new ProtocolError('unsupported-value', `nesting deeper than ${MAX_DEPTH}`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          out += serialize(value[i], depth + 1);
        }
        return out + ']';
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort(compareCodePoints);
      let out = '{';
      let first = true;
      for (const key of keys) {
        const v = obj[key];
        if (v === undefined) continue;
        if (!first) out += ',';
        first = false;
        out += serializeString(key) + ':' + serialize(v, depth + 1);
      }
      return out + '}';
    }
    default:
      throw new ProtocolError('unsupported-value', `cannot canonicalize a value of type ${typeof value}`);
  }
}

function serializeString(s: string): string {
  // A lone surrogate cannot be encoded as UTF-8: the reference fails there, and so do we.
  if (!s.isWellFormed()) throw new ProtocolError('invalid-string', 'string contains a lone surrogate (not encodable as UTF-8)');
  return JSON.stringify(s);
}

/**
 * Orders strings by Unicode code point. JavaScript's default comparison uses UTF-16 code units, which
 * disagrees only when one string has a surrogate (an astral character) where the other has a code unit
 * in U+E000–U+FFFF: the astral character must sort after.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
