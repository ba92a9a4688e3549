import { addProof, Ed25519KeyPair, type JsonObject } from '@corridor/protocol';
import { mapCorridorTransition, type TensorInput } from '@corridor/compliance';
import { digest, sha } from './oracle';

/** The mapping of spec/compliance-tensor.md §6, case by case (expected values from the specification). */
const T = { digest: sha('transition'), recordedAt: '2025-05-05T05:05:05Z' };
const map = (kind: string, payload: unknown): TensorInput => mapCorridorTransition({ kind, payload, ...T });
const cellsOf = (r: TensorInput) => {
  if (r.kind !== 'cells') throw new Error(`expected cells, got ${JSON.stringify(r)}`);
  return r.attest.map((a) => ({ ...a.key, ...a.attestation }));
};

describe('compliance.attestation.*', () => {
  it('maps a plain payload to one cell per domain, digest = the transition digest', () => {
    expect(cellsOf(map('compliance.attestation.kyc.v1', { subject: 's', jurisdiction: 'pk', domains: ['kyc', 'aml', 'kyc'], state: 'exempt', issuer_did: 'did:key:i' }))).toEqual([
      { subject: 's', jurisdiction: 'pk', domain: 'kyc', digest: T.digest, issuer_did: 'did:key:i', issued_at: T.recordedAt, expires_at: null, state: 'exempt', revoked: false },
      { subject: 's', jurisdiction: 'pk', domain: 'aml', digest: T.digest, issuer_did: 'did:key:i', issued_at: T.recordedAt, expires_at: null, state: 'exempt', revoked: false },
    ]);
  });

  it('takes subject, dates and issuer from a credential, its digest without the proof', () => {
    const key = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(5));
    const unsigned: JsonObject = {
      type: ['VerifiableCredential'],
      issuer: { id: key.did, name: 'Regulator' },
      validFrom: '2025-01-01T04:00:00+04:00',
      validUntil: '2025-12-31T23:59:59.999Z',
      credentialSubject: { id: 'acme', jurisdiction_id: 'ae', domain: 'aml', status: 'compliant' },
    };
    const vc = addProof(unsigned, key, { created: '2025-01-01T00:00:00Z' });
    for (const payload of [vc, { credential: vc }]) {
      expect(cellsOf(map('compliance.attestation.issued.v1', payload))).toEqual([
        { subject: 'acme', jurisdiction: 'ae', domain: 'aml', digest: digest(unsigned), issuer_did: key.did, issued_at: '2025-01-01T00:00:00Z', expires_at: '2025-12-31T23:59:59Z', state: 'compliant', revoked: false },
      ]);
    }
    // explicit payload fields win over the credential's
    expect(cellsOf(map('compliance.attestation.issued.v1', { credential: vc, jurisdiction: 'pk', expires_at: null }))[0]).toMatchObject({ jurisdiction: 'pk', expires_at: '2025-12-31T23:59:59Z' });
  });

  it('uses attestation_digest_sha256 when given, and maps revocations', () => {
    const d = sha('the attestation');
    expect(cellsOf(map('compliance.attestation.kyc.v1', { subject: 's', jurisdiction: 'pk', domain: 'kyc', state: 'compliant', issuer_did: 'did:key:i', attestation_digest_sha256: d }))[0]!.digest).toBe(d);
    expect(map('compliance.attestation.revoked.v1', { attestation_digest_sha256: d })).toEqual({ kind: 'cells', attest: [], revoke: [d] });
    expect(map('compliance.attestation.revoked', { digest: d })).toEqual({ kind: 'cells', attest: [], revoke: [d] });
  });

  it.each([
    [{ jurisdiction: 'pk', domain: 'kyc', state: 'compliant', issuer_did: 'did:key:i' }, /names no subject/],
    [{ subject: 's', domain: 'kyc', state: 'compliant', issuer_did: 'did:key:i' }, /names no jurisdiction/],
    [{ subject: 's', jurisdiction: 'pk', state: 'compliant', issuer_did: 'did:key:i' }, /names no domain/],
    [{ subject: 's', jurisdiction: 'pk', domain: 'kyc', state: 'green', issuer_did: 'did:key:i' }, /state must be one of/],
    [{ subject: 's', jurisdiction: 'pk', domain: 'kyc', state: 'compliant' }, /names no issuer/],
    [{ subject: 's', jurisdiction: 'pk', domain: 'kyc', state: 'compliant', issuer_did: 'did:key:i', expires_at: 'soon' }, /expires_at is not an RFC 3339/],
    [{ subject: 's', jurisdiction: 'pk', domains: [], state: 'compliant', issuer_did: 'did:key:i' }, /non-empty list/],
    [{ subject: 's', jurisdiction: 'pk', domain: 'kyc', state: 'compliant', issuer_did: 'did:key:i', attestation_digest_sha256: 'xyz' }, /64 lowercase hex/],
  ])('rejects %j with a reason', (payload, reason) => {
    const r = map('compliance.attestation.kyc.v1', payload);
    expect(r.kind).toBe('rejected');
    expect(r.kind === 'rejected' && r.reason).toMatch(reason);
    expect(r.kind === 'rejected' && r.reason).toMatch(/^compliance\.attestation\.kyc\.v1: /);
  });

  it('rejects a revocation without a digest and a payload that is not an object', () => {
    expect(map('compliance.attestation.revoked.v1', {})).toMatchObject({ kind: 'rejected' });
    expect(map('compliance.attestation.kyc.v1', 'text')).toMatchObject({ kind: 'rejected', reason: /must be a JSON object/ });
  });
});

describe('sanctions.* and licence.*', () => {
  const base = { subject: 'acme', jurisdiction: 'ae', issuer_did: 'did:key:s' };
  it.each([
    ['clear', 'compliant'],
    ['no_match', 'compliant'],
    ['match', 'non_compliant'],
    ['hit', 'non_compliant'],
    ['potential_match', 'pending'],
    ['under_review', 'pending'],
  ])('maps screening result %s to %s in the sanctions domain', (result, state) => {
    expect(cellsOf(map('sanctions.screening.v1', { ...base, result, screened_at: '2025-02-02T02:02:02Z' }))).toEqual([
      { subject: 'acme', jurisdiction: 'ae', domain: 'sanctions', digest: T.digest, issuer_did: 'did:key:s', issued_at: '2025-02-02T02:02:02Z', expires_at: null, state, revoked: false },
    ]);
  });

  it('maps designations, delistings, list notices and refuses the rest', () => {
    expect(cellsOf(map('sanctions.designated.v1', base))[0]!.state).toBe('non_compliant');
    expect(cellsOf(map('sanctions.delisted.v1', base))[0]!.state).toBe('compliant');
    expect(map('sanctions.list.updated.v1', { version: 3 })).toEqual({ kind: 'none' });
    expect(map('sanctions.screening.v1', { ...base, result: 'maybe' })).toMatchObject({ kind: 'rejected', reason: /screening result must be one of/ });
    expect(map('sanctions.weather.v1', base)).toMatchObject({ kind: 'rejected', reason: /no tensor meaning/ });
  });

  it('maps licence grants (until valid_until) and withdrawals (no expiry), in licensing unless named', () => {
    const grant = cellsOf(map('licence.granted.v1', { holder: 'acme', jurisdiction: 'ae', issuer_did: 'did:key:r', valid_from: '2025-01-01T00:00:00Z', valid_until: '2026-01-01T00:00:00Z' }));
    expect(grant).toEqual([{ subject: 'acme', jurisdiction: 'ae', domain: 'licensing', digest: T.digest, issuer_did: 'did:key:r', issued_at: '2025-01-01T00:00:00Z', expires_at: '2026-01-01T00:00:00Z', state: 'compliant', revoked: false }]);
    for (const k of ['suspended', 'revoked', 'expired', 'surrendered']) {
      expect(cellsOf(map(`licence.${k}.v1`, { holder: 'acme', jurisdiction: 'ae', issuer_did: 'did:key:r', valid_until: '2026-01-01T00:00:00Z' }))[0]).toMatchObject({ state: 'non_compliant', expires_at: null });
    }
    expect(cellsOf(map('licence.renewed.v1', { holder: 'b', jurisdiction: 'ae', issuer_did: 'did:key:r', domains: ['banking', 'payments'] })).map((c) => c.domain)).toEqual(['banking', 'payments']);
    expect(map('licence.applied.v1', { holder: 'b', jurisdiction: 'ae', issuer_did: 'did:key:r' })).toMatchObject({ kind: 'rejected' });
  });

  it('leaves other families alone', () => {
    expect(map('trade.invoice.issued.v1', {})).toEqual({ kind: 'none' });
    expect(map('settlement.netting.v1', 'anything')).toEqual({ kind: 'none' });
  });
});
