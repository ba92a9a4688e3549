import * as crypto from 'node:crypto';
import fc from 'fast-check';
import {
  COMPLIANCE_DOMAINS,
  COMPLIANCE_STATES,
  ComplianceTensor,
  join,
  meet,
  type Attestation,
  type CellKey,
  type ComplianceState,
} from '@corridor/compliance';

/**
 * Properties of the tensor. Expected values come from the specification: the order of the states as the design
 * lists it, and an oracle evaluator written here from spec/compliance-tensor.md §3.
 */
const ORDER: ComplianceState[] = ['non_compliant', 'pending', 'not_applicable', 'exempt', 'compliant'];
const rank = (s: ComplianceState) => ORDER.indexOf(s);
const state = fc.constantFrom(...ORDER);

describe('lattice laws (meet = min, join = max over the specified order)', () => {
  it('meet and join are min and max of the order', () => {
    fc.assert(
      fc.property(state, state, (a, b) => {
        expect(meet(a, b)).toBe(ORDER[Math.min(rank(a), rank(b))]);
        expect(join(a, b)).toBe(ORDER[Math.max(rank(a), rank(b))]);
      }),
    );
    expect(COMPLIANCE_STATES).toEqual(ORDER);
  });

  it('are commutative, associative, idempotent and absorbing', () => {
    fc.assert(
      fc.property(state, state, state, (a, b, c) => {
        expect(meet(a, b)).toBe(meet(b, a));
        expect(join(a, b)).toBe(join(b, a));
        expect(meet(meet(a, b), c)).toBe(meet(a, meet(b, c)));
        expect(join(join(a, b), c)).toBe(join(a, join(b, c)));
        expect(meet(a, a)).toBe(a);
        expect(join(a, a)).toBe(a);
        expect(meet(a, join(a, b))).toBe(a);
        expect(join(a, meet(a, b))).toBe(a);
        expect(meet(a, 'non_compliant')).toBe('non_compliant');
        expect(join(a, 'compliant')).toBe('compliant');
      }),
      { numRuns: 500 },
    );
  });
});

const T0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const digest = (n: number) => crypto.createHash('sha256').update(`d${n}`).digest('hex');

/** Attestation `n`: its content is a function of n, so one digest always names the same attestation. */
function attestation(n: number, issuers: number, states: ComplianceState[], expiries: (number | null)[], issued: number[]): Attestation {
  const exp = expiries[n % expiries.length]!;
  return {
    digest: digest(n),
    issuer_did: `did:key:issuer${n % issuers}`,
    issued_at: iso(T0 + issued[n % issued.length]! * 3600_000),
    expires_at: exp === null ? null : iso(T0 + exp * 3600_000),
    state: states[n % states.length]!,
    revoked: false,
  };
}

/** The specification's evaluation (§3), independently: latest word per issuer, revoked says nothing, expiry, meet. */
function oracle(atts: Attestation[], atMs: number): ComplianceState {
  if (atts.length === 0) return 'pending';
  const latest = new Map<string, number>();
  for (const a of atts) latest.set(a.issuer_did, Math.max(latest.get(a.issuer_did) ?? -Infinity, Date.parse(a.issued_at)));
  const counted = atts
    .filter((a) => !a.revoked && Date.parse(a.issued_at) === latest.get(a.issuer_did))
    .map((a) => (a.expires_at !== null && Date.parse(a.expires_at) <= atMs && rank(a.state) >= rank('not_applicable') ? 'non_compliant' : a.state));
  if (counted.length === 0) return 'pending';
  return ORDER[Math.min(...counted.map(rank))]!;
}

const KEYS: CellKey[] = [];
for (const s of ['acme', 'zeta']) for (const j of ['pk', 'ae']) for (const d of ['aml', 'kyc', 'sanctions'] as const) KEYS.push({ subject: s, jurisdiction: j, domain: d });

type Op = { op: 'attest'; key: number; n: number } | { op: 'revoke'; n: number };
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('attest' as const), key: fc.integer({ min: 0, max: KEYS.length - 1 }), n: fc.integer({ min: 0, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('revoke' as const), n: fc.integer({ min: 0, max: 40 }) }) },
);
const world = fc.record({
  issuers: fc.integer({ min: 1, max: 4 }),
  states: fc.array(state, { minLength: 1, maxLength: 5 }),
  expiries: fc.array(fc.option(fc.integer({ min: 0, max: 48 }), { nil: null }), { minLength: 1, maxLength: 4 }),
  issued: fc.array(fc.integer({ min: 0, max: 24 }), { minLength: 1, maxLength: 4 }),
  ops: fc.array(opArb, { maxLength: 60 }),
});

function apply(ops: Op[], w: { issuers: number; states: ComplianceState[]; expiries: (number | null)[]; issued: number[] }): ComplianceTensor {
  const t = new ComplianceTensor();
  for (const o of ops) {
    if (o.op === 'attest') t.attest(KEYS[o.key]!, attestation(o.n, w.issuers, w.states, w.expiries, w.issued));
    else t.revoke(digest(o.n));
  }
  return t;
}

describe('tensor properties', () => {
  it('reads every cell nobody attested as pending (fail closed), in cells, slices and cross-border checks', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 0, max: 60 }), (w, hour) => {
        const t = apply(w.ops.filter((o) => o.op === 'revoke' || o.key < 6), w);
        const at = T0 + hour * 3600_000;
        for (const k of KEYS.slice(6)) expect(t.evaluate(k, at)).toMatchObject({ state: 'pending', reason: 'missing' });
        const s = t.slice({ subject: 'zeta', jurisdiction: 'ae' }, at);
        expect(s.cells).toHaveLength(20);
        expect(s.cells.every((c) => c.state === 'pending')).toBe(true);
        const x = t.crossBorder('nobody', 'pk', 'ae', at);
        expect(x.allowed).toBe(false);
        expect(x.domains.every((d) => d.state === 'pending')).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('evaluates every cell as the specification says', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 0, max: 60 }), (w, hour) => {
        const t = apply(w.ops, w);
        const at = T0 + hour * 3600_000;
        for (const k of KEYS) expect(t.evaluate(k, at).state).toBe(oracle([...(t.cell(k)?.attestations ?? [])], at));
      }),
      { numRuns: 300 },
    );
  });

  it('never raises a state as time passes (expiry is monotone)', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), (w, h1, h2) => {
        const t = apply(w.ops, w);
        const [a, b] = h1 <= h2 ? [h1, h2] : [h2, h1];
        for (const k of KEYS) {
          expect(rank(t.evaluate(k, T0 + b * 3600_000).state)).toBeLessThanOrEqual(rank(t.evaluate(k, T0 + a * 3600_000).state));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same cells and commitment whatever the order of insertion', () => {
    fc.assert(
      fc.property(
        world.chain((w) => fc.tuple(fc.constant(w), fc.shuffledSubarray(w.ops, { minLength: w.ops.length, maxLength: w.ops.length }))),
        ([w, shuffled]) => {
          const a = apply(w.ops, w);
          const b = apply(shuffled, w);
          expect(b.commitment()).toBe(a.commitment());
          expect(b.canonical()).toEqual(a.canonical());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('changes the commitment when the set of cells or attestations changes', () => {
    fc.assert(
      fc.property(world, fc.integer({ min: 41, max: 60 }), fc.integer({ min: 0, max: KEYS.length - 1 }), (w, fresh, key) => {
        const a = apply(w.ops, w);
        const before = a.commitment();
        a.attest(KEYS[key]!, attestation(fresh, w.issuers, w.states, w.expiries, w.issued));
        expect(a.commitment()).not.toBe(before);
      }),
      { numRuns: 100 },
    );
  });
});

describe('the domain list', () => {
  it('is one list of 20 distinct names', () => {
    expect(new Set(COMPLIANCE_DOMAINS).size).toBe(20);
  });
});

describe('tensor time', () => {
  const { timestampMillis } = require('@corridor/compliance') as typeof import('@corridor/compliance');
  /** The obvious definition: Date.parse, accepted only if it prints back to the same text. */
  const reference = (s: string) => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(s)) return null;
    const ms = Date.parse(s);
    return Number.isNaN(ms) || new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') !== s ? null : ms;
  };
  it('parses exactly the valid UTC second timestamps, as Date does', () => {
    const two = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }), (y, mo, d, h, mi, s) => {
        const text = `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}Z`;
        expect(timestampMillis(text)).toBe(reference(text));
      }),
      { numRuns: 3000 },
    );
    // Leap days of years below 100 (found by this property: year 0 is a leap year, 100 is not).
    expect(timestampMillis('0000-02-29T00:00:00Z')).toBe(Date.parse('0000-02-29T00:00:00Z'));
    expect(timestampMillis('0004-02-29T12:00:00Z')).toBe(Date.parse('0004-02-29T12:00:00Z'));
    expect(timestampMillis('0100-02-29T00:00:00Z')).toBeNull();
    expect(timestampMillis('2024-02-29T00:00:00Z')).toBe(Date.parse('2024-02-29T00:00:00Z'));
    expect(timestampMillis('2100-02-29T00:00:00Z')).toBeNull();
    expect(timestampMillis('2025-01-01T00:00:00.000Z')).toBeNull();
  });
});

describe('canonical cell text', () => {
  const { canonicalCellText, canonicalCell } = require('@corridor/compliance') as typeof import('@corridor/compliance');
  const { canonicalize } = require('@corridor/protocol') as typeof import('@corridor/protocol');
  it('is exactly the canonical JSON of the cell, whatever the strings and the order of attestations', () => {
    const id = fc.string({ minLength: 1, maxLength: 12, unit: 'binary' }).filter((s) => s.trim() === s && s.isWellFormed());
    const att = fc.record({
      digest: fc.integer({ min: 0, max: 1000 }).map(digest),
      issuer_did: id,
      issued_at: fc.integer({ min: 0, max: 1000 }).map((h) => iso(T0 + h * 3600_000)),
      expires_at: fc.option(fc.integer({ min: 0, max: 1000 }).map((h) => iso(T0 + h * 3600_000)), { nil: null }),
      state,
      revoked: fc.boolean(),
    });
    fc.assert(
      fc.property(id, id, fc.constantFrom(...COMPLIANCE_DOMAINS), fc.uniqueArray(att, { selector: (a) => a.digest, maxLength: 6 }), (subject, jurisdiction, domain, attestations) => {
        const cell = { subject, jurisdiction, domain, attestations };
        expect(canonicalCellText(cell)).toBe(canonicalize(canonicalCell(cell)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('canonical cell key text', () => {
  const { cellKeyText } = require('@corridor/compliance') as typeof import('@corridor/compliance');
  const { canonicalize } = require('@corridor/protocol') as typeof import('@corridor/protocol');
  it('is the canonical JSON of [subject, jurisdiction, domain]', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }), fc.constantFrom(...COMPLIANCE_DOMAINS), (subject, jurisdiction, domain) => {
        expect(cellKeyText({ subject, jurisdiction, domain })).toBe(canonicalize([subject, jurisdiction, domain]));
      }),
      { numRuns: 1000 },
    );
  });
});
