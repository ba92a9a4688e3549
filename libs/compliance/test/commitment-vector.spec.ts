import { canonicalCellText, cellDigest, cellKeyDigest, cellKeyText, ComplianceTensor, computeTensorCommitment, TensorCommitmentIndex } from '@corridor/compliance';
import { oracleCommitment, sha } from './oracle';

/** The worked example of spec/compliance-tensor.md §5, value for value. */
describe('the commitment example of the specification', () => {
  const key = { subject: 'acme', jurisdiction: 'ae', domain: 'kyc' as const };
  const attestation = { digest: 'a'.repeat(64), issuer_did: 'did:key:z6MkExample', issued_at: '2025-01-01T00:00:00Z', expires_at: '2026-01-01T00:00:00Z', state: 'compliant' as const, revoked: false };

  it('gives the empty tensor its commitment', () => {
    expect(new ComplianceTensor().commitment()).toBe('c5e546e6d0fa989b86a16e83703cb00584871370de4ad8feda13017be6f618d6');
    expect(oracleCommitment([])).toBe('c5e546e6d0fa989b86a16e83703cb00584871370de4ad8feda13017be6f618d6');
  });

  it('gives the one-cell tensor every intermediate value', () => {
    const cell = { ...key, attestations: [attestation] };
    expect(cellKeyText(key)).toBe('["acme","ae","kyc"]');
    expect(cellKeyDigest(key)).toBe('b32b683dd6c88885c59531ad02cffb0ea69a6d15083bb78faee4f1cab55739eb');
    expect(sha('["acme","ae","kyc"]')).toBe('b32b683dd6c88885c59531ad02cffb0ea69a6d15083bb78faee4f1cab55739eb');
    const text =
      '{"attestations":[{"digest":"' + 'a'.repeat(64) + '","expires_at":"2026-01-01T00:00:00Z","issued_at":"2025-01-01T00:00:00Z","issuer_did":"did:key:z6MkExample","revoked":false,"state":"compliant"}],"domain":"kyc","jurisdiction":"ae","subject":"acme"}';
    expect(canonicalCellText(cell)).toBe(text);
    expect(cellDigest(cell)).toBe('8df7207eebb378ac40be54f4290b3cbf6ce7b093a0b98ead3f445f88ddfe5cc9');
    expect(sha(text)).toBe('8df7207eebb378ac40be54f4290b3cbf6ce7b093a0b98ead3f445f88ddfe5cc9');
    const index = new TensorCommitmentIndex();
    index.setCell(cell);
    expect(index.bucketList()).toEqual([['b32', 'b255808a959cbd215f2a2c2e4e29669515edef56e37822cf587a2bf515e5a3a1']]);
    expect(sha('[["b32b683dd6c88885c59531ad02cffb0ea69a6d15083bb78faee4f1cab55739eb","8df7207eebb378ac40be54f4290b3cbf6ce7b093a0b98ead3f445f88ddfe5cc9"]]')).toBe(
      'b255808a959cbd215f2a2c2e4e29669515edef56e37822cf587a2bf515e5a3a1',
    );
    const t = new ComplianceTensor();
    t.attest(key, attestation);
    expect(t.commitment()).toBe('52c34b553eadb21dc4963ddd08b771eacec3ee7fd896e655fdf94d4aa9726b6f');
    expect(computeTensorCommitment([cell])).toBe('52c34b553eadb21dc4963ddd08b771eacec3ee7fd896e655fdf94d4aa9726b6f');
    expect(oracleCommitment([cell])).toBe('52c34b553eadb21dc4963ddd08b771eacec3ee7fd896e655fdf94d4aa9726b6f');
  });
});
