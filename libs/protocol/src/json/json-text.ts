import { ProtocolError } from '../errors';
import type { JsonObject, JsonValue } from './json-value';

/**
 * Parses JSON text (RFC 8259) into the protocol's data model, deciding on what the sender actually wrote:
 * - a number token with a fraction or exponent (`1.0`, `1e2`, `-0.0`) is rejected with `float-not-allowed`,
 *   as the reference rejects every Python float;
 * - integers outside the IEEE-754 safe range become `bigint`, so they are printed back exactly;
 * - duplicate keys: the last one wins (as Python's json.loads);
 * - `__proto__` is an ordinary key, never a prototype assignment.
 * JSON.parse cannot be used alone: it silently turns `1.0` into `1` and rounds large integers.
 */
export function parseJsonText(text: string): JsonValue {
  const parser = new Parser(text);
  parser.skipWhitespace();
  const value = parser.parseValue(0);
  parser.skipWhitespace();
  if (parser.pos !== text.length) parser.fail('unexpected data after the JSON value');
  return value;
}

/** Nesting deeper than this is refused: hostile input must not exhaust the stack. */
export const MAX_JSON_DEPTH = 512;

const FLOAT_MESSAGE = 'Floats are not allowed in JCS canonicalization. Use strings or integers.';

class Parser {
  pos = 0;
  constructor(private readonly text: string) {}

  fail(what: string, code: 'invalid-json' | 'float-not-allowed' = 'invalid-json'): never {
    throw new ProtocolError(code, `${what} at offset ${this.pos}`);
  }

  skipWhitespace(): void {
    const t = this.text;
    let p = this.pos;
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else break;
    }
    this.pos = p;
  }

  parseValue(depth: number): JsonValue {
    const c = this.text.charCodeAt(this.pos);
    switch (c) {
      case 0x7b: return this.parseObject(depth + 1); // {
      case 0x5b: return this.parseArray(depth + 1); // [
      case 0x22: return this.parseString(); // "
      case 0x74: return this.literal('true', true);
      case 0x66: return this.literal('false', false);
      case 0x6e: return this.literal('null', null);
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        if (Number.isNaN(c)) this.fail('unexpected end of JSON text');
        this.fail(`unexpected character ${JSON.stringify(this.text[this.pos])}`);
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) this.fail(`invalid literal, expected ${word}`);
    this.pos += word.length;
    return value;
  }

  private parseObject(depth: number): JsonObject {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++;
    const out: JsonObject = {};
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('expected a string key');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail("expected ':'");
      this.pos++;
      this.skipWhitespace();
      const value = this.parseValue(depth);
      if (key === '__proto__') {
        Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        if (key in out) delete out[key]; // last wins; keep insertion order meaningful for pretty printing
        out[key] = value;
      }
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) { this.pos++; continue; }
      if (c === 0x7d) { this.pos++; return out; }
      this.fail("expected ',' or '}'");
    }
  }

  private parseArray(depth: number): JsonValue[] {
    if (depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH}`);
    this.pos++;
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWhitespace();
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.pos);
      if (c === 0x2c) { this.pos++; continue; }
      if (c === 0x5d) { this.pos++; return out; }
      this.fail("expected ',' or ']'");
    }
  }

  private parseNumber(): number | bigint {
    const t = this.text;
    const start = this.pos;
    let p = start;
    if (t.charCodeAt(p) === 0x2d) p++;
    const firstDigit = t.charCodeAt(p);
    if (firstDigit === 0x30) {
      p++;
    } else if (firstDigit >= 0x31 && firstDigit <= 0x39) {
      while (isDigit(t.charCodeAt(p))) p++;
    } else {
      this.pos = p;
      this.fail('invalid number');
    }
    const next = t.charCodeAt(p);
    if (next === 0x2e || next === 0x65 || next === 0x45) {
      // Consume the whole token so the error names it, then refuse it.
      if (next === 0x2e) { p++; if (!isDigit(t.charCodeAt(p))) { this.pos = p; this.fail('invalid number'); } while (isDigit(t.charCodeAt(p))) p++; }
      const e = t.charCodeAt(p);
      if (e === 0x65 || e === 0x45) {
        p++;
        const s = t.charCodeAt(p);
        if (s === 0x2b || s === 0x2d) p++;
        if (!isDigit(t.charCodeAt(p))) { this.pos = p; this.fail('invalid number'); }
        while (isDigit(t.charCodeAt(p))) p++;
      }
      this.pos = start;
      this.fail(`${FLOAT_MESSAGE} Found ${t.slice(start, p)}`, 'float-not-allowed');
    }
    this.pos = p;
    const token = t.slice(start, p);
    if (p - start <= 15) return token === '-0' ? 0 : Number(token);
    const big = BigInt(token);
    return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
  }

  parseString(): string {
    const t = this.text;
    let p = this.pos + 1;
    let chunkStart = p;
    let out = '';
    for (;;) {
      const c = t.charCodeAt(p);
      if (c === 0x22) {
        out += t.slice(chunkStart, p);
        this.pos = p + 1;
        return out;
      }
      if (c === 0x5c) {
        out += t.slice(chunkStart, p);
        p++;
        const e = t.charCodeAt(p);
        switch (e) {
          case 0x22: out += '"'; break;
          case 0x5c: out += '\\'; break;
          case 0x2f: out += '/'; break;
          case 0x62: out += '\b'; break;
          case 0x66: out += '\f'; break;
          case 0x6e: out += '\n'; break;
          case 0x72: out += '\r'; break;
          case 0x74: out += '\t'; break;
          case 0x75: {
            const hex = t.slice(p + 1, p + 5);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) { this.pos = p; this.fail('invalid \\u escape'); }
            out += String.fromCharCode(parseInt(hex, 16));
            p += 4;
            break;
          }
          default:
            this.pos = p;
            this.fail('invalid escape');
        }
        p++;
        chunkStart = p;
        continue;
      }
      // charCodeAt past the end is NaN, which no comparison matches: test it explicitly, or the loop never ends.
      if (Number.isNaN(c)) {
        this.pos = p;
        this.fail('unterminated string');
      }
      if (c < 0x20) {
        this.pos = p;
        this.fail('unescaped control character in string');
      }
      p++;
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
