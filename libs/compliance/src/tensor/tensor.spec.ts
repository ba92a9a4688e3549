import {
  AttestationConflictError,
  COMPLIANCE_DOMAINS,
  COMPLIANCE_STATES,
  ComplianceTensor,
  computeTensorCommitment,
  isPassing,
  join,
  meet,
  normalizeTimestamp,
  type Attestation,
} from '@corridor/compliance';

import { oracleCommitment, sha } from '../../test/oracle';

const D = (n: number) => sha(`attestation-${n}`);
const KEY = { subject: 'acme-ltd', jurisdiction: 'ae-difc', domain: 'kyc' as const };

function att(n: number, fields: Partial<Attestation> = {}): Attestation {
  return { digest: D(n), issuer_did: 'did:key:issuerA', issued_at: '2025-01-01T00:00:00Z', expires_at: null, state: 'compliant', revoked: false, ...fields };
}

describe('domains and states', () => {
  it('has exactly the 20 domains of the design, in its order', () => {
    expect(COMPLIANCE_DOMAINS).toEqual([
      'aml', 'kyc', 'sanctions', 'tax', 'securities', 'corporate', 'custody', 'data_privacy', 'licensing', 'banking',
      'payments', 'clearing', 'settlement', 'digital_assets', 'employment', 'immigration', 'ip', 'consumer_protection', 'arbitration', 'trade',
    ]);
  });

  it('orders the states non_compliant < pending < not_applicable < exempt < compliant', () => {
    expect(COMPLIANCE_STATES).toEqual(['non_compliant', 'pending', 'not_applicable', 'exempt', 'compliant']);
    expect(meet('compliant', 'exempt')).toBe('exempt');
    expect(meet('pending', 'not_applicable')).toBe('pending');
    expect(meet('non_compliant', 'compliant')).toBe('non_compliant');
    expect(join('pending', 'non_compliant')).toBe('pending');
    expect(join('exempt', 'not_applicable')).toBe('exempt');
    expect(COMPLIANCE_STATES.filter(isPassing)).toEqual(['not_applicable', 'exempt', 'compliant']);
  });
});

describe('cell evaluation', () => {
  const at = (s: string) => Date.parse(s);

  it('reads a missing cell as pending (fail closed)', () => {
    const t = new ComplianceTensor();
    const v = t.evaluate(KEY, '2025-06-01T00:00:00Z');
    expect(v).toMatchObject({ state: 'pending', reason: 'missing', attestations: [] });
  });

  it('applies expiry at read time: a passing attestation becomes non_compliant from its expiry instant on', () => {
    const t = new ComplianceTensor();
    t.attest(KEY, att(1, { expires_at: '2025-03-01T00:00:00Z' }));
    expect(t.evaluate(KEY, '2025-02-28T23:59:59Z').state).toBe('compliant');
    expect(t.evaluate(KEY, new Date(at('2025-03-01T00:00:00Z') - 1)).state).toBe('compliant');
    expect(t.evaluate(KEY, '2025-03-01T00:00:00Z')).toMatchObject({ state: 'non_compliant', reason: 'expired', expired: [D(1)] });
    expect(t.evaluate(KEY, at('2026-01-01T00:00:00Z')).state).toBe('non_compliant');
  });

  it('does not turn an expired non-passing attestation into anything better', () => {
    const t = new ComplianceTensor();
    t.attest(KEY, att(1, { state: 'pending', expires_at: '2025-03-01T00:00:00Z' }));
    expect(t.evaluate(KEY, '2025-04-01T00:00:00Z').state).toBe('pending');
  });

  it('takes the meet of different issuers and lets an issuer\'s later word replace its earlier one', () => {
    const t = new ComplianceTensor();
    t.attest(KEY, att(1, { issuer_did: 'did:key:A', state: 'compliant' }));
    t.attest(KEY, att(2, { issuer_did: 'did:key:B', state: 'exempt' }));
    expect(t.evaluate(KEY, '2025-06-01T00:00:00Z').state).toBe('exempt');
    t.attest(KEY, att(3, { issuer_did: 'did:key:B', state: 'non_compliant', issued_at: '2025-02-01T00:00:00Z' }));
    expect(t.evaluate(KEY, '2025-06-01T00:00:00Z').state).toBe('non_compliant');
    // B's newer word (not older) replaces its older one, whatever the order of arrival:
    t.attest(KEY, att(4, { issuer_did: 'did:key:B', state: 'compliant', issued_at: '2025-01-15T00:00:00Z' }));
    expect(t.evaluate(KEY, '2025-06-01T00:00:00Z').state).toBe('non_compliant');
    t.attest(KEY, att(5, { issuer_did: 'did:key:B', state: 'compliant', issued_at: '2025-03-01T00:00:00Z' }));
    const v = t.evaluate(KEY, '2025-06-01T00:00:00Z');
    expect(v.state).toBe('compliant');
    expect(v.standing).toEqual([D(1), D(5)].sort());
  });

  it('counts ties of one issuer (same issued_at) together, by their meet', () => {
    const t = new ComplianceTensor();
    t.attest(KEY, att(1, { state: 'compliant' }));
    t.attest(KEY, att(2, { state: 'not_applicable' }));
    expect(t.evaluate(KEY, '2025-06-01T00:00:00Z').state).toBe('not_applicable');
  });

  it('lets a revoked latest word say nothing, and keeps the revoked attestation in the cell', () => {
    const t = new ComplianceTensor();
    t.attest(KEY, att(1, { state: 'non_compliant', issued_at: '2025-01-01T00:00:00Z' }));
    t.attest(KEY, att(2, { state: 'compliant', issued_at: '2025-02-01T00:00:00Z' }));
    t.revoke(D(2));
    const v = t.evaluate(KEY, '2025-06-01T00:00:00Z');
    expect(v).toMatchObject({ state: 'pending', reason: 'no-standing-attestation', standing: [] });
    expect(v.attestations.map((a) => [a.digest, a.revoked])).toEqual([[D(1), false], [D(2), true]].sort());
  });

  it('applies a revocation recorded before its attestation', () => {
    const t = new ComplianceTensor();
    t.revoke(D(7));
    t.attest(KEY, att(7));
    expect(t.cell(KEY)!.attestations[0]!.revoked).toBe(true);
    expect(t.evaluate(KEY, '2025-06-01T00:00:00Z').state).toBe('pending');
  });

  it('ignores the same attestation recorded twice and refuses a different one under the same digest', () => {
    const t = new ComplianceTensor();
    t.attest(KEY, att(1));
    const c = t.commitment();
    expect(t.attest(KEY, att(1)).changed).toEqual([]);
    expect(t.commitment()).toBe(c);
    expect(() => t.attest(KEY, att(1, { state: 'exempt' }))).toThrow(AttestationConflictError);
  });

  it('refuses malformed input', () => {
    const t = new ComplianceTensor();
    expect(() => t.attest({ ...KEY, domain: 'weather' as never }, att(1))).toThrow(/domain/);
    expect(() => t.attest({ ...KEY, subject: '' }, att(1))).toThrow(/subject/);
    expect(() => t.attest(KEY, att(1, { digest: 'ABC' }))).toThrow(/digest/);
    expect(() => t.attest(KEY, att(1, { issued_at: '2025-01-01T00:00:00.5Z' }))).toThrow(/issued_at/);
    expect(() => t.attest(KEY, att(1, { expires_at: '2025-02-30T00:00:00Z' }))).toThrow(/expires_at/);
    expect(() => t.attest(KEY, att(1, { state: 'unknown' as never }))).toThrow(/state/);
  });
});

describe('slices and the cross-border check', () => {
  const t = new ComplianceTensor();
  t.attest({ subject: 'acme', jurisdiction: 'pk', domain: 'aml' }, att(1));
  t.attest({ subject: 'acme', jurisdiction: 'pk', domain: 'kyc' }, att(2, { state: 'exempt' }));
  t.attest({ subject: 'acme', jurisdiction: 'ae', domain: 'aml' }, att(3, { expires_at: '2025-05-01T00:00:00Z' }));
  t.attest({ subject: 'acme', jurisdiction: 'ae', domain: 'kyc' }, att(4, { state: 'not_applicable' }));
  t.attest({ subject: 'zeta', jurisdiction: 'ae', domain: 'aml' }, att(5, { state: 'non_compliant' }));

  it('returns all 20 domains for a subject in a jurisdiction, missing ones pending', () => {
    const s = t.slice({ subject: 'acme', jurisdiction: 'pk' }, '2025-04-01T00:00:00Z');
    expect(s.cells.map((c) => c.domain)).toEqual([...COMPLIANCE_DOMAINS]);
    expect(s.cells.filter((c) => c.state !== 'pending').map((c) => [c.domain, c.state])).toEqual([['aml', 'compliant'], ['kyc', 'exempt']]);
    expect(s.state).toBe('pending');
    expect(s.as_of).toBe('2025-04-01T00:00:00Z');
  });

  it('returns the existing cells of sparse slices, sorted', () => {
    expect(t.slice({ domain: 'aml' }, '2025-04-01T00:00:00Z').cells.map((c) => [c.subject, c.jurisdiction, c.state])).toEqual([
      ['acme', 'ae', 'compliant'],
      ['acme', 'pk', 'compliant'],
      ['zeta', 'ae', 'non_compliant'],
    ]);
    expect(t.slice({ jurisdiction: 'ae' }, '2025-04-01T00:00:00Z').cells.map((c) => [c.subject, c.domain])).toEqual([['acme', 'aml'], ['acme', 'kyc'], ['zeta', 'aml']]);
    expect(t.slice({ subject: 'nobody' }, '2025-04-01T00:00:00Z')).toMatchObject({ cells: [], state: 'pending' });
    expect(() => t.slice({}, '2025-04-01T00:00:00Z')).toThrow(/at least one/);
  });

  it('meets both jurisdictions per domain and allows only when every domain passes', () => {
    const before = t.crossBorder('acme', 'pk', 'ae', '2025-04-01T00:00:00Z', ['aml', 'kyc']);
    expect(before.domains).toEqual([
      { domain: 'aml', from: 'compliant', to: 'compliant', state: 'compliant', passing: true },
      { domain: 'kyc', from: 'exempt', to: 'not_applicable', state: 'not_applicable', passing: true },
    ]);
    expect(before).toMatchObject({ state: 'not_applicable', allowed: true, subject: 'acme', from_jurisdiction: 'pk', to_jurisdiction: 'ae' });
    const after = t.crossBorder('acme', 'pk', 'ae', '2025-05-01T00:00:00Z', ['kyc', 'aml']);
    expect(after.domains[0]).toEqual({ domain: 'aml', from: 'compliant', to: 'non_compliant', state: 'non_compliant', passing: false });
    expect(after.allowed).toBe(false);
    const all = t.crossBorder('acme', 'pk', 'ae', '2025-04-01T00:00:00Z');
    expect(all.domains).toHaveLength(20);
    expect(all.allowed).toBe(false);
    expect(all.domains.find((d) => d.domain === 'tax')).toEqual({ domain: 'tax', from: 'pending', to: 'pending', state: 'pending', passing: false });
  });
});

describe('commitment', () => {
  it('of the empty tensor is the digest of the empty commitment document', () => {
    const expected = sha(
      '{"buckets":[],"cell_count":0,"domains":["aml","kyc","sanctions","tax","securities","corporate","custody","data_privacy","licensing","banking","payments","clearing","settlement","digital_assets","employment","immigration","ip","consumer_protection","arbitration","trade"],"states":["non_compliant","pending","not_applicable","exempt","compliant"],"type":"CorridorComplianceTensorCommitment","version":1}',
    );
    expect(new ComplianceTensor().commitment()).toBe(expected);
    expect(computeTensorCommitment([])).toBe(expected);
  });

  it('equals the independent recomputation, and the export recomputes it', () => {
    const t = new ComplianceTensor();
    for (let i = 0; i < 300; i++) {
      t.attest({ subject: `s${i % 37}`, jurisdiction: i % 2 ? 'pk' : 'ae', domain: COMPLIANCE_DOMAINS[i % 20]! }, att(i, { issuer_did: `did:key:i${i % 3}`, state: COMPLIANCE_STATES[i % 5]! }));
    }
    t.revoke(D(5));
    expect(t.commitment()).toBe(oracleCommitment(t.allCells()));
    const exported = t.canonical();
    expect(computeTensorCommitment(exported.cells)).toBe(t.commitment());
    expect(exported.type).toBe('CorridorComplianceTensor');
  });

  it('changes with any change of a cell, and is stable across reads', () => {
    const t = new ComplianceTensor();
    t.attest(KEY, att(1));
    const c1 = t.commitment();
    expect(t.commitment()).toBe(c1);
    const u = new ComplianceTensor();
    u.attest(KEY, att(1, { state: 'exempt' }));
    expect(u.commitment()).not.toBe(c1);
    t.revoke(D(1));
    expect(t.commitment()).not.toBe(c1);
    const v = new ComplianceTensor();
    v.attest({ ...KEY, jurisdiction: 'pk' }, att(1));
    expect(v.commitment()).not.toBe(c1);
  });
});

describe('normalizeTimestamp', () => {
  it('brings RFC 3339 date-times to UTC whole seconds, truncating', () => {
    expect(normalizeTimestamp('2025-01-01T00:00:00Z')).toBe('2025-01-01T00:00:00Z');
    expect(normalizeTimestamp('2025-01-01T05:30:00.999+05:30')).toBe('2025-01-01T00:00:00Z');
    expect(normalizeTimestamp('2024-12-31T23:59:59.9Z')).toBe('2024-12-31T23:59:59Z');
    expect(normalizeTimestamp('2025-02-29T00:00:00Z')).toBeNull();
    expect(normalizeTimestamp('yesterday')).toBeNull();
    expect(normalizeTimestamp(20250101)).toBeNull();
  });
});
