import * as path from 'node:path';
import { addProof, Ed25519KeyPair, type JsonObject } from '@corridor/protocol';
import {
  complianceTensorProjection,
  ProjectionHost,
  TensorQueries,
  type ProjectionStore,
} from '@corridor/compliance';
import { BACKENDS } from './stores';
import { digest, oracleCommitment, sha, type OracleCell } from './oracle';
import { recordTransition, tempDir, TestLedger } from './support';

const CORRIDOR = 'corridor-pk-ae';
const LIFECYCLE = 'corridor_lifecycle-pk-ae';
const ISSUER_KEY = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(3));

const kycPayload = {
  subject: 'acme',
  jurisdiction: 'pk',
  domains: ['kyc', 'aml'],
  state: 'compliant',
  issuer_did: 'did:key:regA',
  issued_at: '2025-01-02T00:00:00Z',
  expires_at: '2025-07-01T00:00:00Z',
};
const screening = { subject: 'acme', jurisdiction: 'ae', result: 'clear', issuer_did: 'did:key:screener', screened_at: '2025-01-03T00:00:00Z' };
const grant = { holder: 'acme', jurisdiction: 'ae', issuer_did: 'did:key:ae-regulator', effective_at: '2025-01-04T00:00:00Z', valid_until: '2026-01-01T00:00:00Z' };
const suspension = { holder: 'acme', jurisdiction: 'ae', issuer_did: 'did:key:ae-regulator', effective_at: '2025-03-01T00:00:00Z' };
const vcUnsigned: JsonObject = {
  '@context': ['https://www.w3.org/2018/credentials/v1'],
  id: 'urn:test:kyc:zeta',
  type: ['VerifiableCredential', 'KycAttestationCredential'],
  issuer: ISSUER_KEY.did,
  issuanceDate: '2025-01-05T00:00:00Z',
  credentialSubject: { id: 'zeta', jurisdiction: 'ae', domain: 'kyc', state: 'exempt' },
};
const vc = addProof(vcUnsigned, ISSUER_KEY, { created: '2025-01-05T00:00:00Z' });
const vcDigest = digest(vcUnsigned); // the credential without its proof
const RULING = sha('ruling-1');
const EVIDENCE = sha('saga evidence bundle');
const enforcement = { dispute_id: 'd1', ruling_digest_sha256: RULING, disposition: 'claim_upheld', orders: [{ obligor: 'zeta', obligee: 'acme', amount: '10', currency: 'USD' }], enforced_at: '2025-01-20T00:00:00Z' };

async function writeScenario(ledger: TestLedger): Promise<void> {
  await ledger.append(LIFECYCLE, 'corridor.created.v1', { corridor_id: CORRIDOR, at: '2025-01-01T00:00:00Z', state: 'DRAFT', trust_anchors: [] });
  // Odd ordinals as the node's state channel stores them (the receipt commits to the recorded envelope itself),
  // even ones in the generic layout (the envelope inside the event data): both must map the same.
  const t = (n: number, at: string, kind: string, payload: JsonObject) => recordTransition(ledger, CORRIDOR, CORRIDOR, n, at, kind, payload, { stateChannel: n % 2 === 1 });
  await t(1, '2025-01-02T00:00:00Z', 'compliance.attestation.kyc.v1', kycPayload);
  await t(2, '2025-01-03T00:00:00Z', 'sanctions.screening.v1', screening);
  await t(3, '2025-01-04T00:00:00Z', 'licence.granted.v1', grant);
  await ledger.append('saga-m1', 'migration-saga.started.v1', {
    migration_id: 'm1', at: '2025-01-05T00:00:00Z', corridor_id: CORRIDOR, corridor_genesis_root: sha('g'), asset_id: 'asset-7',
    source_jurisdiction: 'pk', destination_jurisdiction: 'ae', deadline: '2025-02-01T00:00:00Z', phase: 'initiated',
  });
  await t(4, '2025-01-05T00:00:00Z', 'compliance.attestation.kyc.v1', { credential: vc });
  await ledger.append('saga-m1', 'migration-saga.phase-advanced.v1', { migration_id: 'm1', at: '2025-01-06T00:00:00Z', from_phase: 'initiated', to_phase: 'compliance_check', evidence_digest_sha256: sha('e0'), corridor_transition: {} });
  await ledger.append('saga-m1', 'migration-saga.phase-advanced.v1', { migration_id: 'm1', at: '2025-01-07T00:00:00Z', from_phase: 'compliance_check', to_phase: 'attestation_gathering', evidence_digest_sha256: EVIDENCE, corridor_transition: {} });
  await ledger.append('dispute-d1', 'dispute.filed.v1', { dispute_id: 'd1', at: '2025-01-08T00:00:00Z', corridor_id: CORRIDOR, claimant: 'acme', respondent: 'zeta' });
  await ledger.append('dispute-d1', 'dispute.review-started.v1', { dispute_id: 'd1', at: '2025-01-09T00:00:00Z', case_reference: 'C-1', arbitrator: 'did:key:arb' });
  await ledger.append('dispute-d1', 'dispute.ruling-issued.v1', {
    dispute_id: 'd1', at: '2025-01-10T00:00:00Z', disposition: 'claim_upheld', orders: enforcement.orders, appeal_deadline: '2025-01-15T00:00:00Z',
    ruling: { artifact_type: 'vc', digest_sha256: RULING, credential_types: [], signers: ['did:key:arb'], credential: { credentialSubject: { jurisdiction: 'ae' } } },
  });
  await t(5, '2025-02-01T00:00:00Z', 'compliance.attestation.revoked.v1', { attestation_digest_sha256: vcDigest });
  await t(6, '2025-02-02T00:00:00Z', 'sanctions.list.updated.v1', { list: 'ofac', version: '2025-02' });
  await t(7, '2025-02-03T00:00:00Z', 'compliance.attestation.kyc.v1', { ...kycPayload, domains: ['weather'] });
  await t(8, '2025-02-04T00:00:00Z', 'trade.invoice.issued.v1', { invoice: 'INV-1' });
  await ledger.append('dispute-d1', 'dispute.ruling-enforced.v1', {
    dispute_id: 'd1', at: '2025-01-20T00:00:00Z', ruling_digest_sha256: RULING,
    corridor_transition: { corridor_id: CORRIDOR, kind: 'arbitration.enforcement.ruling.v1', payload: enforcement },
  });
  await t(9, '2025-01-20T00:00:00Z', 'arbitration.enforcement.ruling.v1', enforcement);
  await t(10, '2025-03-01T00:00:00Z', 'licence.suspended.v1', suspension);
}

/** The cells the scenario must produce, written out from the mapping in spec/compliance-tensor.md §6. */
function expectedCells(): OracleCell[] {
  const a = (d: string, issuer: string, issued: string, expires: string | null, state: string, revoked = false) => ({ digest: d, issuer_did: issuer, issued_at: issued, expires_at: expires, state, revoked });
  const kyc = a(digest(kycPayload), 'did:key:regA', '2025-01-02T00:00:00Z', '2025-07-01T00:00:00Z', 'compliant');
  const saga = a(EVIDENCE, 'urn:corridor-ledger:migration-saga', '2025-01-07T00:00:00Z', '2025-02-01T00:00:00Z', 'compliant');
  const enforced = a(digest({ type: 'CorridorRulingEnforcement', ruling_digest_sha256: RULING, enforced_at: '2025-01-20T00:00:00Z' }), 'did:key:arb', '2025-01-20T00:00:00Z', null, 'compliant');
  return [
    { subject: 'acme', jurisdiction: 'pk', domain: 'kyc', attestations: [kyc] },
    { subject: 'acme', jurisdiction: 'pk', domain: 'aml', attestations: [kyc] },
    { subject: 'acme', jurisdiction: 'ae', domain: 'sanctions', attestations: [a(digest(screening), 'did:key:screener', '2025-01-03T00:00:00Z', null, 'compliant')] },
    {
      subject: 'acme', jurisdiction: 'ae', domain: 'licensing',
      attestations: [
        a(digest(grant), 'did:key:ae-regulator', '2025-01-04T00:00:00Z', '2026-01-01T00:00:00Z', 'compliant'),
        a(digest(suspension), 'did:key:ae-regulator', '2025-03-01T00:00:00Z', null, 'non_compliant'),
      ],
    },
    { subject: 'zeta', jurisdiction: 'ae', domain: 'kyc', attestations: [a(vcDigest, ISSUER_KEY.did, '2025-01-05T00:00:00Z', null, 'exempt', true)] },
    { subject: 'asset-7', jurisdiction: 'pk', domain: 'trade', attestations: [saga] },
    { subject: 'asset-7', jurisdiction: 'ae', domain: 'trade', attestations: [saga] },
    { subject: 'zeta', jurisdiction: 'ae', domain: 'arbitration', attestations: [a(RULING, 'did:key:arb', '2025-01-10T00:00:00Z', null, 'pending'), enforced] },
  ];
}

describe.each(BACKENDS.map((b) => [b().name, b] as const))('compliance tensor projection on %s', (_name, backendOf) => {
  const backend = backendOf();
  let tmp: ReturnType<typeof tempDir>;
  let ledger: TestLedger;
  let store: ProjectionStore;
  let host: ProjectionHost;

  beforeAll(async () => {
    await backend.setup();
    tmp = tempDir();
    ledger = TestLedger.open(path.join(tmp.dir, 'ledger.db'));
    await writeScenario(ledger);
    store = await backend.open();
    host = new ProjectionHost({ events: ledger.events, store, projections: [complianceTensorProjection()] });
    await host.start();
    await host.caughtUp();
  });

  afterAll(async () => {
    await host?.stop();
    await store?.close();
    await ledger?.close();
    tmp?.cleanup();
    await backend.teardown();
  });

  it('folds every mapped transition into the cells the specification gives, and commits their commitment', async () => {
    const q = new TensorQueries(store);
    const exported = await q.exportCells();
    const norm = (cells: OracleCell[]) =>
      cells
        .map((c) => ({ ...c, attestations: [...c.attestations].sort((x, y) => (x.digest < y.digest ? -1 : 1)) }))
        .sort((x, y) => `${x.subject}|${x.jurisdiction}|${x.domain}`.localeCompare(`${y.subject}|${y.jurisdiction}|${y.domain}`));
    expect(norm(exported.data as unknown as OracleCell[])).toEqual(norm(expectedCells()));
    const commitment = oracleCommitment(expectedCells());
    expect(exported.tensor.commitment).toBe(commitment);
    expect(exported.tensor.cell_count).toBe(8);
    expect((await q.commitment()).commitment).toBe(commitment);
  });

  it('answers cells, slices and cross-border checks at the read time, with the commitment', async () => {
    const q = new TensorQueries(store);
    const commitment = oracleCommitment(expectedCells());
    const cell = await q.cell({ subject: 'acme', jurisdiction: 'pk', domain: 'kyc' }, '2025-04-01T00:00:00Z');
    expect(cell.data).toMatchObject({ state: 'compliant', reason: 'attested' });
    expect(cell.tensor).toMatchObject({ commitment, projection: 'compliance_tensor', cell_count: 8 });
    expect(cell.tensor.events).toBe(18);
    expect((await q.cell({ subject: 'acme', jurisdiction: 'pk', domain: 'kyc' }, '2025-07-01T00:00:00Z')).data).toMatchObject({ state: 'non_compliant', reason: 'expired' });
    expect((await q.cell({ subject: 'acme', jurisdiction: 'ae', domain: 'licensing' }, '2025-04-01T00:00:00Z')).data.state).toBe('non_compliant');
    expect((await q.cell({ subject: 'acme', jurisdiction: 'ae', domain: 'licensing' }, '2025-02-01T00:00:00Z')).data.state).toBe('non_compliant');
    expect((await q.cell({ subject: 'zeta', jurisdiction: 'ae', domain: 'kyc' }, '2025-04-01T00:00:00Z')).data).toMatchObject({ state: 'pending', reason: 'no-standing-attestation' });
    expect((await q.cell({ subject: 'zeta', jurisdiction: 'ae', domain: 'arbitration' }, '2025-04-01T00:00:00Z')).data.state).toBe('compliant');
    expect((await q.cell({ subject: 'asset-7', jurisdiction: 'ae', domain: 'trade' }, '2025-01-31T23:59:59Z')).data.state).toBe('compliant');
    expect((await q.cell({ subject: 'asset-7', jurisdiction: 'ae', domain: 'trade' }, '2025-02-01T00:00:00Z')).data.state).toBe('non_compliant');
    expect((await q.cell({ subject: 'nobody', jurisdiction: 'ae', domain: 'tax' }, '2025-04-01T00:00:00Z')).data).toMatchObject({ state: 'pending', reason: 'missing' });

    const dense = await q.slice({ subject: 'acme', jurisdiction: 'ae' }, '2025-04-01T00:00:00Z');
    expect(dense.data.cells).toHaveLength(20);
    expect(dense.data.cells.filter((c) => c.reason !== 'missing').map((c) => [c.domain, c.state])).toEqual([
      ['sanctions', 'compliant'],
      ['licensing', 'non_compliant'],
    ]);
    const byJurisdiction = await q.slice({ jurisdiction: 'ae' }, '2025-04-01T00:00:00Z');
    expect(byJurisdiction.data.cells.map((c) => `${c.subject}/${c.domain}`)).toEqual(['acme/sanctions', 'acme/licensing', 'asset-7/trade', 'zeta/kyc', 'zeta/arbitration']);
    expect(byJurisdiction.data.next).toBeNull();
    const page1 = await q.slice({ jurisdiction: 'ae' }, '2025-04-01T00:00:00Z', { limit: 2 });
    expect(page1.data.cells).toHaveLength(2);
    expect(page1.data.next).not.toBeNull();
    const page2 = await q.slice({ jurisdiction: 'ae' }, '2025-04-01T00:00:00Z', { limit: 10, after: page1.data.next! });
    expect([...page1.data.cells, ...page2.data.cells].map((c) => `${c.subject}/${c.domain}`).sort()).toEqual(byJurisdiction.data.cells.map((c) => `${c.subject}/${c.domain}`).sort());
    expect((await q.slice({ domain: 'trade' }, '2025-01-15T00:00:00Z')).data.cells.map((c) => [c.subject, c.jurisdiction, c.state])).toEqual([
      ['asset-7', 'ae', 'compliant'],
      ['asset-7', 'pk', 'compliant'],
    ]);
    expect((await q.slice({ subject: 'asset-7', domain: 'trade' }, '2025-01-15T00:00:00Z')).data.cells).toHaveLength(2);

    const x = await q.crossBorder('asset-7', 'pk', 'ae', '2025-01-15T00:00:00Z', ['trade']);
    expect(x.data).toMatchObject({ allowed: true, state: 'compliant' });
    expect(x.tensor.commitment).toBe(commitment);
    const y = await q.crossBorder('acme', 'pk', 'ae', '2025-04-01T00:00:00Z', ['kyc']);
    expect(y.data.domains).toEqual([{ domain: 'kyc', from: 'compliant', to: 'pending', state: 'pending', passing: false }]);
  });

  it('keeps the transitions it could not map, with the reason', async () => {
    const q = new TensorQueries(store);
    const r = await q.rejections();
    expect(r.data.items).toHaveLength(1);
    expect(r.data.items[0]).toMatchObject({ stream: CORRIDOR, sequence: 6, kind: 'compliance.attestation.kyc.v1' });
    expect(String((r.data.items[0] as JsonObject).reason)).toMatch(/unknown domain "weather"/);
    expect((await store.reader('compliance_tensor', r.tensor.generation).checkpoint()).meta.rejections).toBe('1');
  });

  it('records every stream it folded with its last sequence', async () => {
    const { active } = await store.generations('compliance_tensor');
    expect(await store.reader('compliance_tensor', active!).streams()).toEqual(
      new Map([
        [LIFECYCLE, 0],
        [CORRIDOR, 9],
        ['saga-m1', 2],
        ["dispute-d1", 3],
      ]),
    );
  });
});
