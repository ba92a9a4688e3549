import { createHash } from 'node:crypto';
import { canonicalize, parseJsonText, ProtocolError } from '@corridor/protocol';
import { loadVectors } from '../support/vectors';

/**
 * Every case of canonicalization.json: JSON text in, canonical bytes (or the reference's refusal) out.
 * Cases built from Python-only values (datetime, tuples…) cannot arise from JSON text; they are listed
 * so the count is visible, and checked through their JSON equivalent where the vector gives one.
 */
const vectors = loadVectors('canonicalization.json');
const fromText = vectors.cases.filter((c: any) => typeof c.input_json_text === 'string');
const pythonOnly = vectors.cases.filter((c: any) => typeof c.input_json_text !== 'string');

describe('canonicalization vectors (JSON text)', () => {
  it.each(fromText.map((c: any) => [c.id, c]))('%s', (_id, c: any) => {
    if (c.expected.ok) {
      const bytes = Buffer.from(canonicalize(parseJsonText(c.input_json_text)), 'utf8');
      expect(bytes.toString('hex')).toBe(c.expected.canonical_hex);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(c.expected.sha256);
    } else {
      // The reference raises ValueError for every float; we refuse the same inputs with a stable code.
      expect(c.expected.error).toMatch(/Floats are not allowed/);
      let thrown: unknown;
      try {
        canonicalize(parseJsonText(c.input_json_text));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ProtocolError);
      expect((thrown as ProtocolError).code).toBe('float-not-allowed');
    }
  });
});

describe('canonicalization vectors built from Python-only values', () => {
  const byId = (id: string) => pythonOnly.find((c: any) => c.id === id);

  it('covers every case of the file', () => {
    expect(pythonOnly.length + fromText.length).toBe(vectors.cases.length);
    expect(pythonOnly.map((c: any) => c.id).sort()).toEqual(
      ['lone-surrogate-rejected', 'py-bool-key', 'py-date', 'py-datetime-micro-truncated', 'py-datetime-offset', 'py-datetime-utc', 'py-decimal-to-string', 'py-int-and-none-keys', 'py-tuple-as-array'].sort(),
    );
  });

  it('lone-surrogate-rejected: a lone surrogate written as \\ud800 in JSON text is refused', () => {
    expect(byId('lone-surrogate-rejected').expected.ok).toBe(false);
    expect(() => canonicalize(parseJsonText('{"s":"\\ud800"}'))).toThrow(expect.objectContaining({ code: 'invalid-string' }));
  });

  it.each(['py-tuple-as-array', 'py-decimal-to-string', 'py-date'])('%s: its JSON form canonicalizes to the reference bytes', (id) => {
    const c = byId(id);
    expect(canonicalize(parseJsonText(JSON.stringify(c.input_json_equivalent)))).toBe(c.expected.canonical_utf8);
  });

  // JSON text never holds a datetime: a timestamp string is committed exactly as written (DESIGN §2).
  it.each(['py-datetime-utc', 'py-datetime-offset', 'py-datetime-micro-truncated'])('%s: timestamp strings are not normalized', (id) => {
    const c = byId(id);
    const ts: string = c.input_json_equivalent.ts;
    expect(canonicalize(parseJsonText(JSON.stringify(c.input_json_equivalent)))).toBe(`{"ts":"${ts}"}`);
    expect(`{"ts":"${ts}"}`).not.toBe(c.expected.canonical_utf8);
  });

  // JSON object keys are always strings, so str() coercion of int/None/bool keys cannot occur.
  it.each(['py-int-and-none-keys', 'py-bool-key'])('%s: string keys stay as written', (id) => {
    const c = byId(id);
    const parsed = parseJsonText(JSON.stringify(c.input_json_equivalent)) as Record<string, unknown>;
    expect(Object.keys(JSON.parse(canonicalize(parsed))).sort()).toEqual(Object.keys(c.input_json_equivalent).sort());
  });
});
