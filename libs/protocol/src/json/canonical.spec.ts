import fc from 'fast-check';
import canonicalizeRfc8785 from 'canonicalize';
import { asciiSortedJson, canonicalize, compareCodePoints } from './canonical';
import { parseJsonText } from './json-text';

/** Arbitrary JSON values of the protocol's model: integers only (safe and big), any strings, nested. */
const integer = fc.oneof(fc.integer(), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }));
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), integer, fc.string({ unit: 'grapheme' }), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(fc.string({ unit: 'grapheme' }), tie('value'), { maxKeys: 5 }),
})).value;

/** Rebuilds every object with its keys inserted in a shuffled order. */
function reorder(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, seed + 1));
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 17 + seed) % 5));
    const out: Record<string, unknown> = {};
    // defineProperty, not assignment: `out['__proto__'] = …` would set the prototype instead of a key.
    for (const k of keys.reverse()) Object.defineProperty(out, k, { value: reorder((value as Record<string, unknown>)[k], seed + 1), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

describe('canonical bytes', () => {
  it('do not depend on key insertion order', () => {
    fc.assert(fc.property(jsonValue, fc.nat(), (v, seed) => canonicalize(reorder(v, seed)) === canonicalize(v)), { numRuns: 500 });
  });

  it('are stable under re-parsing: parse(canon(v)) canonicalizes to the same bytes', () => {
    fc.assert(fc.property(jsonValue, (v) => canonicalize(parseJsonText(canonicalize(v))) === canonicalize(v)), { numRuns: 500 });
  });

  it('equal RFC 8785 (the `canonicalize` package) wherever the two must agree: safe integers, BMP keys', () => {
    const bmpString = fc.string({ unit: 'binary' }).filter((s) => s.isWellFormed() && ![...s].some((ch) => ch.codePointAt(0)! >= 0xd800));
    const safe = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.maxSafeInteger(), bmpString, tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(bmpString, tie('value'), { maxKeys: 4 }),
    })).value;
    fc.assert(fc.property(safe, (v) => canonicalize(v) === canonicalizeRfc8785(v)), { numRuns: 500 });
  });

  it('parse what JSON.parse parses, identically, when the text holds no floats or big integers', () => {
    fc.assert(
      fc.property(fc.json({ noUnicodeString: false }), (text) => {
        const viaStd = JSON.parse(text);
        const hasFloat = /[0-9][.eE]/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'));
        if (hasFloat) {
          expect(() => parseJsonText(text)).toThrow();
          return;
        }
        expect(canonicalize(parseJsonText(text))).toBe(canonicalize(reviveUnsafe(viaStd, text)));
      }),
      { numRuns: 500 },
    );
  });

  it('sort keys by code point: an astral character sorts after U+E000–U+FFFF', () => {
    expect(['😀', '\ue000', 'a', '\uffff'].sort(compareCodePoints)).toEqual(['a', '\ue000', '\uffff', '😀']);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        const cpA = Array.from(a, (c) => c.codePointAt(0)!);
        const cpB = Array.from(b, (c) => c.codePointAt(0)!);
        let expected = cpA.length - cpB.length;
        for (let i = 0; i < Math.min(cpA.length, cpB.length); i++) if (cpA[i] !== cpB[i]) { expected = cpA[i] - cpB[i]; break; }
        return Math.sign(compareCodePoints(a, b)) === Math.sign(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('print integers beyond 2^53 exactly', () => {
    expect(canonicalize(parseJsonText('[9007199254740993,-100000000000000000000000000001]'))).toBe('[9007199254740993,-100000000000000000000000000001]');
  });

  it('ASCII variant escapes every non-ASCII code unit in lowercase hex, as Python json.dumps does', () => {
    expect(asciiSortedJson({ b: 'ü', a: '😀' })).toBe('{"a":"\\ud83d\\ude00","b":"\\u00fc"}');
    // Python escapes everything outside ' '..'~', so DEL (U+007F) too — json.dumps({'d': '\x7f'}) == '{"d": "\\u007f"}'.
    expect(asciiSortedJson({ d: '\u007f~' })).toBe('{"d":"\\u007f~"}');
    // Same document, only the escaping differs: parsing both back gives identical canonical bytes.
    fc.assert(
      fc.property(jsonValue, (v) => /^[\x00-\x7f]*$/.test(asciiSortedJson(v)) && canonicalize(parseJsonText(asciiSortedJson(v))) === canonicalize(v)),
      { numRuns: 300 },
    );
  });
});

/** JSON.parse rounds unsafe integers; for the comparison, keep only texts without them. */
function reviveUnsafe(value: unknown, text: string): unknown {
  if (/\d{16,}/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) return parseJsonText(text);
  return value;
}

describe('JSON text parser on hostile input', () => {
  it('never hangs on a truncated document: every prefix of valid JSON text is refused or parsed', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), (text, cut) => {
        const prefix = text.slice(0, cut % (text.length + 1));
        try {
          parseJsonText(prefix);
        } catch (e) {
          expect((e as { code?: string }).code).toMatch(/^(invalid-json|float-not-allowed)$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but a ProtocolError, and never hangs, on random text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        try {
          parseJsonText(text);
        } catch (e) {
          expect((e as { code?: string }).code).toMatch(/^(invalid-json|float-not-allowed)$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses nesting deeper than its limit instead of overflowing the stack', () => {
    expect(() => parseJsonText('['.repeat(100000) + ']'.repeat(100000))).toThrow(expect.objectContaining({ code: 'invalid-json' }));
  });

  it('treats __proto__ as an ordinary key', () => {
    const v = parseJsonText('{"__proto__":{"polluted":1},"a":2}') as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(canonicalize(v)).toBe('{"__proto__":{"polluted":1},"a":2}');
  });

  it.each(['1.0', '1e2', '-0.0', '1E+2', '[0.5]', '{"a":{"b":[1,2.25]}}'])('refuses the float in %s', (text) => {
    expect(() => parseJsonText(text)).toThrow(expect.objectContaining({ code: 'float-not-allowed' }));
  });

  it.each(['', '{', '{"a"}', '[1,]', '01', '-', 'tru', '"\\x"', '"a\nb"', 'NaN', 'Infinity', '{"a":1}x', '"', '"i', '{"a', '["a\\', '{"a":"b'])('refuses malformed %j', (text) => {
    expect(() => parseJsonText(text)).toThrow(expect.objectContaining({ code: 'invalid-json' }));
  });
});
