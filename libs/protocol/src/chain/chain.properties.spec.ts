import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { canonicalize } from '../json/canonical';
import { parseJsonText } from '../json/json-text';
import type { JsonObject, JsonValue } from '../json/json-value';
import { Ed25519KeyPair } from '../keys/ed25519';
import { addProof, signingInput, verifyProofs } from '../proofs/proof';
import { buildReceipt, computeNextRoot } from '../receipts/receipt';
import { makeTransitionEnvelope } from '../receipts/transition-envelope';
import { mmrRootFromNextRoots } from '../mmr';
import { verifyCorridorChain } from './verify';
import { CHAIN_CHECKS, RECEIPT_CHECKS, type ChainExpectations, type ReceiptSource } from './types';

/*
 * Properties of receipts and chains over random inputs. Expected values are computed independently where a value is
 * needed (node's SHA-256 over the canonical text, the MMR module for roots); the rest are invariants.
 */
const sha256 = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');
const seed = (tag: string) => createHash('sha256').update(tag).digest();
const keyA = Ed25519KeyPair.fromSeed(seed('chain-properties-a'));
const keyB = Ed25519KeyPair.fromSeed(seed('chain-properties-b'));

const key = fc.string({ unit: 'grapheme', maxLength: 8 }).filter((k) => k !== '__proto__');
const scalar: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).filter((b) => b < -(2n ** 53n) || b > 2n ** 53n),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
);
const { json } = fc.letrec<{ json: JsonValue }>((tie) => ({
  json: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(key, tie('json'), { maxKeys: 4 }) as fc.Arbitrary<JsonValue>,
  ),
}));
const digest = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));

/** A receipt draft with a random envelope and random committed extra fields. */
const receiptArb = fc.record({
  corridor_id: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  sequence: fc.nat({ max: 1_000_000 }),
  timestamp: fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
  prev_root: digest,
  lawpack_digest_set: fc.uniqueArray(digest, { maxLength: 3 }).map((a) => a.sort()),
  ruleset_digest_set: fc.uniqueArray(digest, { maxLength: 3 }).map((a) => a.sort()),
  kind: fc.string({ minLength: 1, maxLength: 12 }).filter((k) => k.trim() !== ''),
  payload: json,
});
type ArbValue<A> = A extends fc.Arbitrary<infer T> ? T : never;
const draftOf = (r: ArbValue<typeof receiptArb>): JsonObject =>
  buildReceipt({ ...r, transition: makeTransitionEnvelope({ kind: r.kind, payload: r.payload }) });

/** Every path to a value inside a JSON document (top-level keys first). */
function paths(v: JsonValue, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push([...prefix, i], ...paths(x, [...prefix, i])));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push([...prefix, k], ...paths(v[k], [...prefix, k]));
  return out;
}

function setAt(doc: JsonValue, path: (string | number)[], value: JsonValue): JsonValue {
  if (path.length === 0) return value;
  const [head, ...rest] = path;
  if (Array.isArray(doc)) return doc.map((x, i) => (i === head ? setAt(x, rest, value) : x));
  const obj = doc as JsonObject;
  return { ...obj, [head]: setAt(obj[head as string], rest, value) };
}

function getAt(doc: JsonValue, path: (string | number)[]): JsonValue {
  return path.reduce<JsonValue>((d, k) => (d as any)[k], doc);
}

describe('receipt commitments', () => {
  it('any change to any field (at any depth) other than proof and next_root changes next_root', () => {
    fc.assert(
      fc.property(receiptArb, json, fc.nat(), (r, replacement, pick) => {
        const draft = draftOf(r);
        const candidates = paths(draft).filter((p) => p[0] !== 'next_root' && p[0] !== 'proof');
        const path = candidates[pick % candidates.length];
        fc.pre(canonicalize(getAt(draft, path)) !== canonicalize(replacement));
        const changed = setAt(draft, path, replacement) as JsonObject;
        expect(computeNextRoot(changed)).not.toBe(draft.next_root);
      }),
      { numRuns: 300 },
    );
  });

  it('adding or removing a top-level field changes next_root', () => {
    fc.assert(
      fc.property(receiptArb, key, json, (r, extra, value) => {
        const draft = draftOf(r);
        fc.pre(!(extra in draft));
        expect(computeNextRoot({ ...draft, [extra]: value })).not.toBe(draft.next_root);
        const { timestamp: _t, ...without } = draft;
        expect(computeNextRoot(without as JsonObject)).not.toBe(draft.next_root);
      }),
    );
  });

  it('next_root is SHA-256 of the canonical receipt without proof and next_root', () => {
    fc.assert(
      fc.property(receiptArb, (r) => {
        const draft = draftOf(r);
        const { next_root, ...rest } = draft;
        expect(next_root).toBe(sha256(canonicalize(rest)));
      }),
    );
  });

  it('a signature over a modified document fails', () => {
    fc.assert(
      fc.property(receiptArb, json, fc.nat(), (r, replacement, pick) => {
        const signed = addProof(draftOf(r), keyA, { created: '2025-01-01T00:00:00Z' });
        expect(verifyProofs(signed).map((x) => x.ok)).toEqual([true]);
        const candidates = paths(signed).filter((p) => p[0] !== 'proof');
        const path = candidates[pick % candidates.length];
        fc.pre(canonicalize(getAt(signed, path)) !== canonicalize(replacement));
        const changed = setAt(signed, path, replacement) as JsonObject;
        expect(verifyProofs(changed).map((x) => ({ ok: x.ok, check: x.check }))).toEqual([{ ok: false, check: 'signature' }]);
      }),
      { numRuns: 200 },
    );
  });
});

/** A random valid chain: genesis, digest sets, n receipts with random payloads, each co-signed (a, b) or single-signed. */
const chainArb = fc.record({
  genesis: digest,
  rulesets: fc.uniqueArray(digest, { minLength: 1, maxLength: 2 }),
  lawpacks: fc.uniqueArray(digest, { maxLength: 2 }),
  payloads: fc.array(json, { minLength: 1, maxLength: 6 }),
  cosign: fc.boolean(),
});

function buildChain(c: ArbValue<typeof chainArb>) {
  const expected: ChainExpectations = {
    corridor_id: 'org.example.properties',
    genesis_root: c.genesis,
    ruleset_digest_set: [...c.rulesets].sort(),
    lawpack_digest_set: [...c.lawpacks].sort(),
    transition_type_registry_digest_sha256: null,
  };
  const receipts: JsonObject[] = [];
  let prev = c.genesis;
  c.payloads.forEach((payload, sequence) => {
    const draft = buildReceipt({
      corridor_id: expected.corridor_id,
      sequence,
      timestamp: `2025-01-01T00:00:${String(sequence).padStart(2, '0')}Z`,
      prev_root: prev,
      lawpack_digest_set: expected.lawpack_digest_set,
      ruleset_digest_set: expected.ruleset_digest_set,
      transition: makeTransitionEnvelope({ kind: 'prop.step', payload }),
    });
    let signed = addProof(draft, keyA, { created: '2025-01-01T01:00:00Z' });
    if (c.cosign) signed = addProof(signed, keyB, { created: '2025-01-01T01:00:00Z' });
    receipts.push(signed);
    prev = draft.next_root;
  });
  const files: ReceiptSource[] = receipts.map((r, i) => ({ path: `r${String(i).padStart(3, '0')}.json`, text: canonicalize(r) + '\n' }));
  return { expected, receipts, files };
}

describe('chain verification', () => {
  it('a random valid chain verifies, to the MMR over its next_roots', () => {
    fc.assert(
      fc.property(chainArb, (c) => {
        const { expected, receipts, files } = buildChain(c);
        const v = verifyCorridorChain(expected, files, { checkCanonicalBytes: true });
        expect(v.errors).toEqual([]);
        expect(v.warnings).toEqual([]);
        expect(v.result!.receipt_count).toBe(receipts.length);
        expect(v.result!.final_state_root).toBe(receipts[receipts.length - 1].next_root);
        const m = mmrRootFromNextRoots(receipts.map((r) => r.next_root as string));
        expect(v.result!.mmr.root).toBe(m.root);
      }),
      { numRuns: 60 },
    );
  });

  it('duplicates never count as forks: the same receipts signed separately, repeated and shuffled, merge', () => {
    fc.assert(
      fc.property(chainArb, fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), fc.nat(), (c, extra, shuffleSeed) => {
        const { expected, receipts } = buildChain({ ...c, cosign: true });
        // Each co-signed receipt split into two single-signed copies, plus random extra copies of either.
        const copies: JsonObject[] = [];
        receipts.forEach((r) => {
          const [pa, pb] = r.proof as JsonObject[];
          copies.push({ ...r, proof: pa }, { ...r, proof: pb });
        });
        for (const e of extra) copies.push(copies[e % copies.length]);
        const order = copies.map((_, i) => i).sort((x, y) => ((x * 7919 + shuffleSeed) % 104729) - ((y * 7919 + shuffleSeed) % 104729));
        const files = order.map((i, n) => ({ path: `f${String(n).padStart(3, '0')}.json`, value: copies[i] }));
        const v = verifyCorridorChain(expected, files);
        expect(v.errors).toEqual([]);
        expect(v.forks).toEqual([]);
        expect(v.result!.receipt_count).toBe(receipts.length);
        for (const merged of v.result!.receipts) {
          const vms = (merged.proof as JsonObject[]).map((p) => p.verificationMethod).sort();
          expect(vms).toEqual([keyA.verificationMethod, keyB.verificationMethod].sort());
          expect(verifyProofs(merged).every((x) => x.ok)).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  const named = new Set<string>([...RECEIPT_CHECKS, ...CHAIN_CHECKS]);

  it('a single-byte change to any receipt file fails verification with a named check, unless it only touched unsigned proof metadata', () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), (c, which, at, delta) => {
        const { expected, receipts, files } = buildChain(c);
        const i = which % files.length;
        const bytes = Buffer.from(files[i].text!, 'utf8');
        const pos = at % bytes.length;
        bytes[pos] = (bytes[pos] + delta) % 256;
        const tampered = new TextDecoder('utf-8').decode(bytes);
        const tamperedFiles = files.map((f, n) => (n === i ? { path: f.path, text: tampered } : f));
        const v = verifyCorridorChain(expected, tamperedFiles, { checkCanonicalBytes: true });
        if (v.valid) {
          // Only the proofs' own metadata is outside every signature (e.g. `created`, the key fragment of the
          // verification method): the signed bytes, the chain and its MMR are then exactly the original ones.
          const parsed = parseJsonText(tampered) as JsonObject;
          expect(signingInput(parsed).equals(signingInput(receipts[i]))).toBe(true);
          expect(v.result!.final_state_root).toBe(receipts[receipts.length - 1].next_root);
          expect(v.result!.mmr.root).toBe(mmrRootFromNextRoots(receipts.map((r) => r.next_root as string)).root);
        } else {
          expect(v.result).toBeNull();
          expect(v.errors.length).toBeGreaterThan(0);
          expect(named.has(v.errors[0].check)).toBe(true);
          expect(v.errors[0].path).toBe(files[i].path);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('removing the proof that matters (single signer) always fails at the proof check', () => {
    fc.assert(
      fc.property(chainArb, fc.nat(), (c, which) => {
        const { expected, files, receipts } = buildChain({ ...c, cosign: false });
        const i = which % files.length;
        const r = receipts[i];
        const broken = { ...r, proof: { ...(r.proof as JsonObject), jws: Buffer.alloc(64, 7).toString('base64url') } };
        const v = verifyCorridorChain(expected, files.map((f, n) => (n === i ? { path: f.path, value: broken } : f)));
        expect(v.errors.map((e) => e.check)).toEqual(['proof']);
      }),
      { numRuns: 30 },
    );
  });
});
