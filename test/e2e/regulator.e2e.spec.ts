import { loadConfig } from '../../apps/node/src/config/node-config';
import { PrincipalDirectory } from '../../apps/node/src/regulator/access/principals';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';
import { accessEnv, accessEnvConfig, bearer, DIGEST_A, DIGEST_B, DIGEST_C, eventually, recordAttestations, TOKENS } from './regulator-fixture';

const PROBLEM = 'https://corridor-ledger.dev/problems/';
const HEX64 = /^[0-9a-f]{64}$/;

describe('the regulator API and its access audit trail', () => {
  let node: TestNode;
  const id = 'org.example.pk-ae.regulator';
  const reg = bearer(TOKENS.regulator);
  const aud = bearer(TOKENS.auditor);

  beforeAll(async () => {
    node = await startTestNode({ env: accessEnv() });
    await activeCorridor(node, id);
    await recordAttestations(node, id);
  });
  afterAll(async () => node?.close());

  const get = (path: string, headers: Record<string, string> = reg) => node.api('GET', path, undefined, headers);

  it('refuses requests without a valid regulator token (401/403) with problem documents', async () => {
    const none = await get('/regulator/corridors', { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.body.type).toBe(PROBLEM + 'unauthenticated');
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect((await get('/regulator/corridors', bearer('not-a-token'))).status).toBe(401);
    expect((await get('/regulator/corridors', { authorization: 'Basic abc' })).status).toBe(401);
    const wrongRole = await get('/regulator/corridors', aud);
    expect(wrongRole.status).toBe(403);
    expect(wrongRole.body.type).toBe(PROBLEM + 'forbidden');
    expect((await get('/audit/trail', reg)).status).toBe(403);
    expect((await get('/console', { authorization: '' })).status).toBe(401);
    // The node's operator may not read the regulator surfaces either (spec/security.md).
    expect((await get('/regulator/corridors', {})).status).toBe(403);
    // Other surfaces need their own principals: an operator reads a corridor, nobody else unauthenticated.
    expect((await get(`/corridors/${id}`, {})).status).toBe(200);
    expect((await get(`/corridors/${id}`, { authorization: '' })).status).toBe(401);
  });

  it('lists corridors by state with heads and finality, carrying the tensor commitment', async () => {
    const list = await eventually(
      () => get('/regulator/corridors?state=ACTIVE'),
      (r) => r.status === 200 && r.body.data.items.some((c: any) => c.corridor_id === id && c.receipt_count === 4),
    );
    const c = list.body.data.items.find((x: any) => x.corridor_id === id);
    expect(c.state).toBe('ACTIVE');
    expect(c.head.sequence).toBe(3);
    expect(c.head.next_root).toMatch(HEX64);
    expect(c.finality).toMatch(/^(proposed|receipt_signed|checkpoint_signed|watcher_quorum)$/);
    expect(list.body.tensor.commitment).toMatch(HEX64);
    expect(list.body.read.projection).toBe('corridor_status');
    expect((await get('/regulator/corridors?state=DRAFT')).body.data.items).toEqual([]);

    const one = await get(`/regulator/corridors/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.data.mmr.root).toMatch(HEX64);
    expect(one.body.data.watchers).toEqual({ bonded: 0, quorum: null });
    expect((await get('/regulator/corridors/org.example.nope')).status).toBe(404);

    const quorum = await get(`/regulator/corridors/${id}/watchers`);
    expect(quorum.status).toBe(200);
    expect(quorum.body.data).toMatchObject({ corridor_id: id, bonded: 0, quorum: null, watchers: [], head_attested_by: [] });
  });

  it('answers tensor slices and the heat-map with the commitment', async () => {
    const slice = await eventually(
      () => get('/regulator/tensor?entity=entity:acme-pk&jurisdiction=PK'),
      (r) => r.status === 200 && r.body.tensor.cell_count === 3,
    );
    expect(slice.body.data.cells).toHaveLength(20);
    const byDomain = Object.fromEntries(slice.body.data.cells.map((c: any) => [c.domain, c]));
    expect(byDomain.aml.state).toBe('compliant');
    expect(byDomain.kyc.state).toBe('non_compliant');
    expect(byDomain.kyc.reason).toBe('expired');
    const commitment = (await get('/regulator/tensor/commitment')).body;
    expect(slice.body.tensor.commitment).toBe(commitment.commitment);

    const byJurisdiction = await get('/regulator/tensor?jurisdiction=AE');
    expect(byJurisdiction.body.data.cells.map((c: any) => c.domain)).toEqual(['sanctions']);
    expect((await get('/regulator/tensor')).status).toBe(400);
    expect((await get('/regulator/tensor?domain=astrology')).status).toBe(400);

    const heat = await get('/regulator/tensor/heatmap');
    expect(heat.body.tensor.commitment).toBe(commitment.commitment);
    const pk = heat.body.data.rows.find((r: any) => r.jurisdiction === 'PK');
    expect(pk.domains.aml).toMatchObject({ cells: 1, states: { compliant: 1 } });
    expect(pk.domains.kyc).toMatchObject({ cells: 1, states: { non_compliant: 1 } });
  });

  it('filters attestations by jurisdiction, entity, type and status, paged', async () => {
    const all = await get('/regulator/attestations');
    expect(all.status).toBe(200);
    expect(all.body.data.items.map((a: any) => a.digest).sort()).toEqual([DIGEST_A, DIGEST_B, DIGEST_C]);
    expect(all.body.tensor.commitment).toMatch(HEX64);
    const status = async (s: string) => (await get(`/regulator/attestations?status=${s}`)).body.data.items.map((a: any) => a.digest);
    expect(await status('valid')).toEqual([DIGEST_A]);
    expect(await status('expired')).toEqual([DIGEST_B]);
    expect(await status('revoked')).toEqual([DIGEST_C]);
    const pk = await get('/regulator/attestations?jurisdiction=PK&entity=entity:acme-pk');
    expect(pk.body.data.items.map((a: any) => [a.type, a.status])).toEqual([['aml', 'valid'], ['kyc', 'expired']]);
    expect((await get('/regulator/attestations?type=sanctions')).body.data.items).toMatchObject([{ digest: DIGEST_C, jurisdiction: 'AE', status: 'revoked', issuer_did: 'did:example:cbuae' }]);
    // Read at a time before the KYC attestation expired, it was valid.
    expect((await get('/regulator/attestations?type=kyc&at=2025-03-01T00:00:00Z')).body.data.items[0].status).toBe('valid');

    // Paging: one per page walks all three, then stops.
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 5; i++) {
      const page: any = await get(`/regulator/attestations?limit=1${after ? `&after=${after}` : ''}`);
      seen.push(...page.body.data.items.map((a: any) => a.digest));
      after = page.body.data.next;
      if (after === null) break;
    }
    expect(after).toBeNull();
    expect(seen.sort()).toEqual([DIGEST_A, DIGEST_B, DIGEST_C]);
    expect((await get('/regulator/attestations?status=stale')).status).toBe(400);
    expect((await get('/regulator/attestations?after=garbage')).status).toBe(400);
  });

  it('serves disputes, migrations and the dashboard', async () => {
    const disputes = await get('/regulator/disputes?open=true');
    expect(disputes.status).toBe(200);
    expect(disputes.body.data).toEqual({ items: [], next: null });
    expect((await get('/regulator/disputes/nope')).status).toBe(404);
    const sagas = await get('/regulator/migrations?open=true');
    expect(sagas.status).toBe(200);
    expect(sagas.body.tensor.commitment).toMatch(HEX64);
    const dash = await get('/regulator/dashboard');
    expect(dash.status).toBe(200);
    expect(dash.body.corridors.total).toBe(1);
    expect(dash.body.corridors.by_state).toEqual({ ACTIVE: 1 });
    expect(dash.body.tensor.cell_count).toBe(3);
    expect(dash.body.disputes.open).toBe(0);
    expect(dash.body.projections.map((p: any) => p.projection).sort()).toEqual(['compliance_tensor', 'corridor_status', 'dispute_docket', 'migration_board', 'watcher_registry']);
  });

  it('records every request (allowed and denied) with who, what and when, queryable by an auditor, durably', async () => {
    const started = new Date(Date.now() - 60_000).toISOString();
    await get('/regulator/corridors?state=PENDING&limit=7');
    await get('/regulator/dashboard', bearer('wrong'));
    const trail = await get('/audit/trail?limit=1000', aud);
    expect(trail.status).toBe(200);
    const items = trail.body.items;
    const allowed = items.find((e: any) => e.path === '/regulator/corridors' && e.query.state === 'PENDING');
    expect(allowed).toMatchObject({ principal: 'sbp', role: 'regulator', method: 'GET', decision: 'allowed', status: 200, query: { state: 'PENDING', limit: '7' } });
    expect(Date.parse(allowed.at)).toBeGreaterThan(Date.parse(started));
    const denied = items.filter((e: any) => e.decision === 'denied');
    expect(denied.find((e: any) => e.path === '/regulator/dashboard')).toMatchObject({ principal: null, status: 401, reason: 'unknown token' });
    expect(denied.find((e: any) => e.path === '/console')).toMatchObject({ principal: null, status: 401, reason: 'no bearer token' });
    expect(denied.find((e: any) => e.path === '/audit/trail')).toMatchObject({ principal: 'sbp', status: 403 });
    expect(denied.find((e: any) => e.path === '/regulator/corridors' && e.principal === 'audit-office')).toMatchObject({ status: 403 });
    // Requests outside the guarded surfaces are not on the trail; the auditor's own reads are.
    expect(items.some((e: any) => e.path.startsWith('/corridors'))).toBe(false);
    expect(items.some((e: any) => e.path === '/audit/trail' && e.principal === 'audit-office' && e.decision === 'allowed')).toBe(true);
    // No token, nor its digest, is ever stored.
    expect(trail.text).not.toContain(TOKENS.regulator);

    const onlySbp = await get('/audit/trail?principal=sbp&limit=1000', aud);
    expect(onlySbp.body.items.length).toBeGreaterThan(5);
    expect(onlySbp.body.items.every((e: any) => e.principal === 'sbp')).toBe(true);
    const page1 = await get('/audit/trail?limit=2', aud);
    expect(page1.body.items).toHaveLength(2);
    const page2 = await get(`/audit/trail?limit=2&after=${page1.body.next}`, aud);
    expect(page2.body.items[0].id).toBeGreaterThan(page1.body.items[1].id);
    expect((await get(`/audit/trail?from=2999-01-01T00:00:00Z`, aud)).body.items).toEqual([]);
    expect((await get(`/audit/trail?to=${started}`, aud)).body.items).toEqual([]);

    // Durable: a restarted node still has the whole trail.
    const dataDir = node.dataDir;
    const before = (await get('/audit/trail?limit=1000', aud)).body.items.length;
    await node.close();
    node = await startTestNode({ dataDir, env: accessEnv() });
    const after = (await get('/audit/trail?limit=1000', aud)).body.items;
    expect(after.length).toBe(before + 1);
    expect(after.find((e: any) => e.path === '/regulator/corridors' && e.query.state === 'PENDING')).toMatchObject({ principal: 'sbp', status: 200 });
  });

  it('refuses a misconfigured token map at startup, naming the setting', () => {
    expect(() => loadConfig({ CORRIDOR_REGULATOR_TOKENS: JSON.stringify({ sbp: 'plain-token' }) })).toThrow(/regulatorTokens \(CORRIDOR_REGULATOR_TOKENS\).*64 lowercase hex/);
    expect(() => loadConfig({ CORRIDOR_AUDITOR_TOKENS: '["x"]' })).toThrow(/CORRIDOR_AUDITOR_TOKENS/);
    expect(() => new PrincipalDirectory({ adminTokens: '{"ops":"ABC"}' })).toThrow(/64 lowercase hex/);
    const dir = new PrincipalDirectory(accessEnvConfig());
    expect(dir.resolve(TOKENS.regulator)).toEqual([{ name: 'sbp', role: 'regulator' }]);
    expect(dir.resolve(TOKENS.regulator + 'x')).toEqual([]);
  });
});
