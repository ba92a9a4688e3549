import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize, computeNextRoot, mmrRootFromNextRoots, verifyConsistencyProof, verifyInclusionProof, verifyProofs } from '@corridor/protocol';
import { runCli, tempDir, writeTemp } from '../support/cli-harness';
import { activeCorridor, buildExampleCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';

const PROBLEM = 'https://corridor-ledger.dev/problems/';

describe('a corridor driven end to end over HTTP', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => node?.close());

  it('goes DRAFT → PENDING → ACTIVE, records transitions, and proves them', async () => {
    const id = 'org.example.pk-ae.happy';
    const c = buildExampleCorridor({ corridorId: id, seed: id, issuedAt: '2026-01-01T00:00:00Z' });
    const created = await node.api('POST', '/corridors', c.requests.create);
    expect(created.status).toBe(201);
    expect(created.body.receipts[0].receipt.type).toBe('MSEZCorridorLifecycleReceipt');
    expect((await node.api('GET', `/corridors/${id}`)).body.state).toBe('DRAFT');

    // Transitions are refused before ACTIVE, with the reason.
    const early = await node.api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: {} } });
    expect(early.status).toBe(409);
    expect(early.body.type).toBe(PROBLEM + 'corridor-not-active');
    expect(early.body.detail).toContain('DRAFT');

    expect((await node.api('POST', `/corridors/${id}/submit`, c.requests.submit)).status).toBe(201);
    expect((await node.api('GET', `/corridors/${id}`)).body.state).toBe('PENDING');
    expect((await node.api('POST', `/corridors/${id}/activate`, c.requests.activate)).status).toBe(201);
    const active = await node.api('GET', `/corridors/${id}`);
    expect(active.body.state).toBe('ACTIVE');
    expect(active.body.state_channel.genesis_root).toMatch(/^[0-9a-f]{64}$/);

    for (let i = 0; i < 6; i++) {
      const r = await node.api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${i}`, amount: '1250.00', currency: 'USD' } } });
      expect(r.status).toBe(201);
      expect(r.body.receipts[0].receipt.sequence).toBe(i);
    }

    // The state channel verifies with nothing but the protocol.
    const page = await node.api('GET', `/corridors/${id}/receipts`);
    const receipts = page.body.receipts;
    expect(receipts).toHaveLength(6);
    let prev = active.body.state_channel.genesis_root;
    for (const r of receipts) {
      expect(r.type).toBe('MSEZCorridorStateReceipt');
      expect(r.prev_root).toBe(prev);
      expect(computeNextRoot(r)).toBe(r.next_root);
      expect(verifyProofs(r).every((p) => p.ok)).toBe(true);
      prev = r.next_root;
    }
    const roots = receipts.map((r: any) => r.next_root);

    // Inclusion proof, verified by the protocol and by `corridor mmr verify`.
    const proof = await node.api('GET', `/corridors/${id}/receipts/2/proof`);
    expect(proof.status).toBe(200);
    expect(proof.body.root).toBe(mmrRootFromNextRoots(roots).root);
    expect(verifyInclusionProof(proof.body)).toEqual({ valid: true });
    const viaCli = await runCli(['mmr', 'verify', writeTemp(tempDir(), 'proof.json', proof.text)]);
    expect(viaCli.code).toBe(0);

    // Signed checkpoint at the head and at any height; consistency between two heights.
    const cp = await node.api('GET', `/corridors/${id}/checkpoint`);
    expect(cp.body.type).toBe('MSEZCorridorStateCheckpoint');
    expect(cp.body.receipt_count).toBe(6);
    expect(cp.body.mmr.root).toBe(mmrRootFromNextRoots(roots).root);
    expect(verifyProofs(cp.body).map((p) => p.ok)).toEqual([true]);
    const cp3 = await node.api('GET', `/corridors/${id}/checkpoints/3`);
    expect(cp3.body.mmr.root).toBe(mmrRootFromNextRoots(roots.slice(0, 3)).root);
    const consistency = await node.api('GET', `/corridors/${id}/consistency?from=3&to=6`);
    expect(verifyConsistencyProof(consistency.body, { oldSize: 3, oldRoot: cp3.body.mmr.root, newSize: 6, newRoot: cp.body.mmr.root }).valid).toBe(true);
  });

  it('exports a chain that `corridor chain verify` accepts with the reference layout', async () => {
    const id = 'org.example.pk-ae.audit';
    const c = await activeCorridor(node, id);
    for (let i = 0; i < 4; i++) await node.api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'settlement.confirmed.v1', payload: { ref: `S-${i}` } } });
    const receipts = (await node.api('GET', `/corridors/${id}/receipts`)).body.receipts;

    const root = tempDir('corridor-audit-');
    const mod = join(root, 'modules', 'corridors', 'pk-ae');
    mkdirSync(join(mod, 'receipts'), { recursive: true });
    mkdirSync(join(root, 'registries'), { recursive: true });
    mkdirSync(join(root, 'rulesets'), { recursive: true });
    const rulesets = ['msez.corridor.verification.v1', 'msez.corridor.state-transition.v2'];
    writeFileSync(join(root, 'registries', 'rulesets.yaml'), `rulesets:\n${rulesets.map((r) => `  - ruleset_id: ${r}\n    path: rulesets/${r}.json\n`).join('')}`);
    for (const r of rulesets) writeFileSync(join(root, 'rulesets', `${r}.json`), JSON.stringify(require(`@corridor/governance/rulesets/${r}.json`)));
    const agreementFiles = c.agreements.map((_, i) => `corridor.agreement.${i}.vc.json`);
    writeFileSync(
      join(mod, 'corridor.yaml'),
      `corridor_id: ${id}\ndefinition_vc_path: corridor.vc.json\nagreement_vc_path:\n${agreementFiles.map((f) => `  - ${f}\n`).join('')}trust_anchors_path: trust-anchors.json\nverification_ruleset: msez.corridor.verification.v1\nstate_channel:\n  transition_ruleset: msez.corridor.state-transition.v2\n`,
    );
    writeFileSync(join(mod, 'corridor.vc.json'), canonicalize(c.definition));
    c.agreements.forEach((a, i) => writeFileSync(join(mod, agreementFiles[i]!), canonicalize(a)));
    writeFileSync(join(mod, 'trust-anchors.json'), JSON.stringify(c.trustAnchors));
    receipts.forEach((r: any) => writeFileSync(join(mod, 'receipts', `r${String(r.sequence).padStart(6, '0')}.json`), canonicalize(r) + '\n'));

    const verified = await runCli(['chain', 'verify', '--module', mod, '--receipts', join(mod, 'receipts'), '--root', root, '--check-canonical-bytes']);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    const head = (await node.api('GET', `/corridors/${id}`)).body.state_channel;
    expect(verified.json()).toMatchObject({ valid: true, receipt_count: 4, genesis_root: head.genesis_root, final_state_root: head.head.next_root, mmr: { root: head.head.mmr.root } });
  });

  it('refuses bad requests with precise problems and stores nothing', async () => {
    const id = 'org.example.pk-ae.refusals';
    const c = buildExampleCorridor({ corridorId: id, seed: id, issuedAt: '2026-01-01T00:00:00Z' });
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/corridors', { ...c.requests.create, amount: 1.5 }, 400, 'float-not-allowed'],
      ['POST', '/corridors', { ...c.requests.create, extra: 'x' }, 400, 'invalid-request'],
      ['POST', '/corridors', { corridor_id: 'UPPER CASE', trust_anchors: {} }, 400, 'invalid-request'],
      ['POST', '/corridors', '{"corridor_id":', 400, 'invalid-json'],
      ['POST', '/corridors', '-20114604945762416', 400, 'invalid-request'],
      ['POST', `/corridors/${id}/resume`, '[1,2]', 400, 'invalid-request'],
      ['GET', `/corridors/${id}`, undefined, 404, 'not-found'],
    ];
    for (const [method, path, body, status, slug] of cases) {
      const r = await node.api(method, path, body);
      expect([path, r.status, r.body.type]).toEqual([path, status, PROBLEM + slug]);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    expect((await node.api('POST', '/corridors', c.requests.create)).status).toBe(201);
    const dup = await node.api('POST', '/corridors', c.requests.create);
    expect([dup.status, dup.body.type]).toEqual([409, PROBLEM + 'already-exists']);
    const noEvidence = await node.api('POST', `/corridors/${id}/submit`, {});
    expect([noEvidence.status, noEvidence.body.type]).toEqual([422, PROBLEM + 'evidence-missing']);
    const wrongEvidence = await node.api('POST', `/corridors/${id}/submit`, { evidence: [c.agreements[0]] });
    expect(wrongEvidence.status).toBe(422);
    const tampered = { ...c.definition, issuanceDate: '2030-01-01T00:00:00Z' };
    const badSignature = await node.api('POST', `/corridors/${id}/submit`, { evidence: [tampered] });
    expect([badSignature.status, badSignature.body.type]).toEqual([422, PROBLEM + 'invalid-evidence']);
    const activateEarly = await node.api('POST', `/corridors/${id}/activate`, c.requests.activate);
    expect([activateEarly.status, activateEarly.body.type]).toEqual([409, PROBLEM + 'transition-not-allowed']);
    const text = await node.api('POST', `/corridors/${id}/submit`, 'evidence', { 'content-type': 'text/plain' });
    expect([text.status, text.body.type]).toEqual([415, PROBLEM + 'unsupported-media-type']);
    expect((await node.api('GET', `/corridors/${id}/receipts/abc`)).status).toBe(400);
    // A payload whose kind has a schema in governance must satisfy it (checked before the corridor state).
    const badPayload = await node.api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'migration.step.completed.v1', payload: { migration_id: 'm-1', step: 'Not A Step' } } });
    expect([badPayload.status, badPayload.body.type]).toEqual([422, PROBLEM + 'invalid-transition-payload']);
    expect(badPayload.body.errors.map((e: any) => e.pointer)).toEqual(expect.arrayContaining(['/transition/payload', '/transition/payload/step']));
    // Nothing but the creation was recorded.
    const lifecycle = await node.api('GET', `/corridors/${id}/lifecycle/receipts`);
    expect(lifecycle.body.receipts).toHaveLength(1);
    expect((await node.api('GET', `/corridors/${id}`)).body.state).toBe('DRAFT');
  });

  it('honours Idempotency-Key: same key, same answer, one effect; another body with it is refused', async () => {
    const id = 'org.example.pk-ae.idempotent';
    await activeCorridor(node, id);
    const body = { transition: { kind: 'trade.order.placed.v1', payload: { order: 'PO-1' } } };
    const first = await node.api('POST', `/corridors/${id}/transitions`, body, { 'idempotency-key': 'order-PO-1' });
    const again = await node.api('POST', `/corridors/${id}/transitions`, body, { 'idempotency-key': 'order-PO-1' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await node.api('GET', `/corridors/${id}/receipts`)).body.receipts).toHaveLength(1);
    const other = await node.api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.order.placed.v1', payload: { order: 'PO-2' } } }, { 'idempotency-key': 'order-PO-1' });
    expect([other.status, other.body.type]).toEqual([422, PROBLEM + 'idempotency-key-reused']);
  });
});

describe('a node restarted on the same data', () => {
  it('keeps its key, its corridors and their chains, and continues them', async () => {
    const first = await startTestNode();
    const id = 'org.example.pk-ae.restart';
    await activeCorridor(first, id);
    await first.api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { n: 1 } } });
    const before = (await first.api('GET', `/corridors/${id}`)).body;
    await first.close();

    const second = await startTestNode({ dataDir: first.dataDir });
    try {
      expect(second.did).toBe(first.did);
      expect((await second.api('GET', `/corridors/${id}`)).body).toEqual(before);
      const next = await second.api('POST', `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { n: 2 } } });
      expect(next.status).toBe(201);
      expect(next.body.receipts[0].receipt.sequence).toBe(1);
      expect(next.body.receipts[0].receipt.prev_root).toBe(before.state_channel.head.next_root);
    } finally {
      await second.close();
    }
  });
});
