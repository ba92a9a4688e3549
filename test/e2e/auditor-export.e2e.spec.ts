import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import {
  addProof,
  buildForkAlarmCredential,
  buildForkResolutionCredential,
  buildReceipt,
  canonicalize,
  digestOf,
  Ed25519KeyPair,
  makeTransitionEnvelope,
  parseJsonText,
  sha256Hex,
  type JsonObject,
} from '@corridor/protocol';
import { schemaErrors } from '../../libs/domain/src/testing/schemas';
import { runCli, tempDir } from '../support/cli-harness';
import { activeCorridor, buildExampleCorridor, type ExampleCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';
import { accessEnv, bearer, eventually, projectionsCaughtUp, recordAttestations, TOKENS } from './regulator-fixture';

const PROBLEM = 'https://corridor-ledger.dev/problems/';
const HEX64 = /^[0-9a-f]{64}$/;
const EPOCH = '1767225600'; // 2026-01-01T00:00:00Z: reproducible exported_at
const key = (name: string) => Ed25519KeyPair.fromSeed(Buffer.from(sha256Hex(`auditor e2e: ${name}`), 'hex'));
const claimant = key('claimant');
const respondent = key('respondent');
const arbitrator = key('arbitrator');
const watcher = key('watcher');
const utc = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function credential(types: string[], subject: JsonObject, signer: Ed25519KeyPair): JsonObject {
  const at = '2026-01-01T00:00:00Z';
  return addProof({ '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiableCredential', ...types], issuer: signer.did, issuanceDate: at, credentialSubject: subject }, signer, { created: at });
}

async function ok(node: TestNode, path: string, body?: unknown) {
  const r = await node.api('POST', path, body);
  if (r.status !== 201) throw new Error(`${path} answered ${r.status}: ${r.text}`);
  return r;
}

/** Halts the corridor with a fork alarm about two conflicting receipts after its head, and resumes it with the resolution. */
async function haltAndResume(node: TestNode, c: ExampleCorridor): Promise<void> {
  const id = c.corridorId;
  const sc = (await node.api('GET', `/corridors/${id}`)).body.state_channel;
  const zone = c.zones[0]!.key;
  const sequence = sc.head.sequence + 1;
  const at = '2026-02-01T00:00:00Z';
  const conflicting = (n: number) =>
    addProof(
      buildReceipt({ corridor_id: id, sequence, timestamp: at, prev_root: sc.head.next_root, lawpack_digest_set: sc.lawpack_digest_set, ruleset_digest_set: sc.ruleset_digest_set, transition: makeTransitionEnvelope({ kind: 'trade.order.placed.v1', payload: { n } }) }),
      zone,
      { created: at },
    );
  const [a, b] = [conflicting(1), conflicting(2)];
  const bytes = (r: JsonObject) => Buffer.from(canonicalize(r) + '\n');
  const alarm = addProof(buildForkAlarmCredential({ corridor_id: id, receipt_a: { bytes: bytes(a), uri: 'a.json' }, receipt_b: { bytes: bytes(b), uri: 'b.json' }, issuer: zone.did, id: 'urn:test:alarm', now: () => new Date(at) }), zone, { created: at });
  await ok(node, `/corridors/${id}/halt`, { evidence: [alarm] });
  const resolution = addProof(
    buildForkResolutionCredential({ corridor_id: id, sequence, prev_root: sc.head.next_root, chosen_next_root: a.next_root, issuer: zone.did, id: 'urn:test:resolution', now: () => new Date(at) }),
    zone,
    { created: at },
  );
  await ok(node, `/corridors/${id}/resume`, { evidence: [resolution] });
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** The `corridor` command as its own OS process, from the TypeScript sources (SWC on load, as jest). */
function runCliProcess(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const register = join(__dirname, '..', '..', 'libs', 'ledger', 'worker', 'ts-register.js');
  const main = join(__dirname, '..', '..', 'apps', 'cli', 'src', 'main.ts');
  const script = `require(${JSON.stringify(main)}).main(process.argv.slice(1)).then((c) => { process.exitCode = c; })`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', register, '-e', script, ...argv], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Re-seals a bundle document after an edit: canonical text with a recomputed integrity digest. */
function reseal(doc: any): string {
  return canonicalize({ bundle: doc.bundle, bundle_sha256: digestOf(doc.bundle) }) + '\n';
}

describe('the auditor side: export, offline verification, reference layout, replay', () => {
  let node: TestNode;
  let corridor: ExampleCorridor;
  const id = 'org.example.pk-ae.audited';
  const other = 'org.example.pk-ae.other';
  const draft = 'org.example.pk-ae.draft';
  const reg = bearer(TOKENS.regulator);
  const dir = tempDir('corridor-auditor-');
  const bundleFile = join(dir, 'bundle.json');
  let bundleText: string;

  beforeAll(async () => {
    node = await startTestNode({ env: { ...accessEnv(), CORRIDOR_SCHEDULER_INTERVAL_MS: '200' } });
    corridor = await activeCorridor(node, id);
    await recordAttestations(node, id, 'entity:audited-co');
    for (let i = 0; i < 3; i++) await ok(node, `/corridors/${id}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${i}`, amount: '1250.00', currency: 'USD' } } });

    // A migration saga through its compliance check, a dispute to an enforced ruling, a watcher bond: each lands in
    // the corridor (process manager) or the tensor, on chains of their own.
    await ok(node, '/migrations', { migration_id: 'mig-audit', corridor_id: id, asset_id: 'asset:audit', source_jurisdiction: 'PK', destination_jurisdiction: 'AE', deadline: utc(Date.now() + 30 * 86_400_000) });
    for (const phase of ['initiated', 'compliance_check']) await ok(node, '/migrations/mig-audit/advance', { from_phase: phase, evidence_digest_sha256: sha256Hex(`evidence ${phase}`) });
    const d = '/disputes/dsp-audit';
    await ok(node, '/disputes', { dispute_id: 'dsp-audit', corridor_id: id, claimant: claimant.did, respondent: respondent.did, filing_digest_sha256: sha256Hex('claim') });
    await ok(node, `${d}/review`, { case_reference: 'ICC-2026-7', arbitrator: arbitrator.did });
    await ok(node, `${d}/evidence-collection`, { procedural_order_digest_sha256: sha256Hex('PO-1'), evidence_deadline: utc(Date.now() + 86_400_000) });
    await ok(node, `${d}/hearing`, { hearing_at: utc(Date.now() + 2 * 86_400_000) });
    const orders = [{ order: 'pay', obligor: respondent.did, jurisdiction: 'AE', amount: '100', currency: 'USD' }];
    await ok(node, `${d}/ruling`, { ruling: credential(['MSEZArbitrationRulingCredential'], { dispute_id: 'dsp-audit', corridor_id: id, ruling: { disposition: 'claim_upheld', orders } }, arbitrator) });
    await ok(node, `${d}/enforce`);
    await ok(node, '/watcher-bonds', { watcher_id: watcher.did, bond_id: 'bond-1', amount: '1000', currency: 'USDC', corridor_ids: [id] });
    await eventually(
      async () => ((await node.api('GET', `/corridors/${id}/receipts?limit=1000`)).body.receipts as JsonObject[]).map((r) => String((r.transition as JsonObject).kind)),
      (kinds) => kinds.includes('arbitration.enforcement.ruling.v1') && kinds.filter((k) => k.startsWith('migration.step.')).length === 2,
    );

    await haltAndResume(node, corridor);
    for (let i = 0; i < 2; i++) await ok(node, `/corridors/${id}/transitions`, { transition: { kind: 'settlement.confirmed.v1', payload: { ref: `S-${i}` } } });

    await activeCorridor(node, other);
    await ok(node, `/corridors/${other}/transitions`, { transition: { kind: 'trade.invoice.issued.v1', payload: { n: 1 } } });
    const d2 = buildExampleCorridor({ corridorId: draft, seed: draft, issuedAt: '2026-01-01T00:00:00Z' });
    await ok(node, '/corridors', d2.requests.create);
    await projectionsCaughtUp(node, reg);
  }, 60_000);
  afterAll(async () => node?.close());

  const head = async () => (await node.api('GET', `/corridors/${id}`)).body.state_channel;

  it('export writes one canonical bundle that verifies offline, with the head the node states', async () => {
    const exported = await runCli(['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', id, '--out', bundleFile, '--checkpoint-every', '4', '--page-size', '3'], '', { SOURCE_DATE_EPOCH: EPOCH });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const sc = await head();
    const count = sc.head.sequence + 1;
    expect(exported.json()).toMatchObject({ corridor_id: id, layout: 'bundle', receipt_count: count, lifecycle_receipt_count: 5, fork_alarms: 1, fork_resolutions: 1, head: { receipt_count: count, final_state_root: sc.head.next_root, mmr_root: sc.head.mmr.root } });
    expect(exported.json().checkpoints).toEqual([...Array.from({ length: Math.floor((count - 1) / 4) }, (_, i) => 4 * (i + 1)), count]);

    bundleText = readFileSync(bundleFile, 'utf8');
    const doc = parseJsonText(bundleText) as any;
    expect(bundleText).toBe(canonicalize(doc) + '\n');
    expect(doc.bundle_sha256).toBe(digestOf(doc.bundle));
    expect(exported.json().bundle_sha256).toBe(doc.bundle_sha256);
    expect(schemaErrors('corridor.auditor-bundle.schema.json', doc)).toEqual([]);
    expect(doc.bundle).toMatchObject({ format: 'corridor-ledger.auditor-bundle', version: 1, corridor_id: id, exported_at: '2026-01-01T00:00:00Z', node: { did: node.did, jurisdiction: 'PK' } });
    expect(doc.bundle.receipts).toHaveLength(count);
    expect(doc.bundle.definition_vc).toEqual(JSON.parse(canonicalize(corridor.definition)));
    expect(doc.bundle.fork_alarms[0].id).toBe('urn:test:alarm');
    expect(doc.bundle.fork_resolutions[0].id).toBe('urn:test:resolution');

    // Without --out the bundle goes to standard output, byte for byte the same.
    const toStdout = await runCli(['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', id, '--checkpoint-every', '4'], '', { SOURCE_DATE_EPOCH: EPOCH });
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe(bundleText);

    const verified = await runCli(['chain', 'verify', '--bundle', bundleFile]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    const out = verified.json();
    expect(out).toMatchObject({ valid: true, corridor_id: id, genesis_root: sc.genesis_root, receipt_count: count, final_state_root: sc.head.next_root, mmr: { size: count, root: sc.head.mmr.root }, forks: [], errors: [] });
    expect(out.checkpoint).toEqual({ valid: true, signers: [node.did], errors: [] });
    expect(out.checkpoints.map((c: any) => [c.receipt_count, c.valid])).toEqual(exported.json().checkpoints.map((n: number) => [n, true]));
    expect(out.lifecycle).toMatchObject({ valid: true, receipt_count: 5, errors: [], checkpoint: { valid: true } });
    expect(out.bundle).toMatchObject({ format: 'corridor-ledger.auditor-bundle', version: 1, bundle_sha256: doc.bundle_sha256, errors: [] });
    const strict = await runCli(['chain', 'verify', '--bundle', bundleFile, '--enforce-transition-types', '--require-signed-fork-resolutions']);
    expect(strict.code).toBe(0);
  });

  describe('a tampered bundle fails with a precise reason', () => {
    const verifyText = async (name: string, text: string) => {
      const f = join(dir, `tampered-${name}.json`);
      writeFileSync(f, text);
      const r = await runCli(['chain', 'verify', '--bundle', f]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      const out = r.json();
      expect(out.valid).toBe(false);
      return out;
    };
    const edit = (f: (b: any) => void) => {
      const doc = parseJsonText(bundleText) as any;
      f(doc.bundle);
      return reseal(doc);
    };
    const checks = (list: { check: string }[]) => list.map((e) => e.check);

    it('a changed receipt payload: next_root mismatch at that receipt', async () => {
      const out = await verifyText('payload', edit((b) => (b.receipts[2].transition.payload.amount = '9999.00')));
      expect(out.errors).toEqual([expect.objectContaining({ check: 'next-root', path: '#/receipts/2', message: expect.stringContaining('next_root mismatch') })]);
      expect(out.receipt_count).toBeNull();
    });

    it('a receipt payload changed with its digests recomputed: the signature no longer verifies', async () => {
      const out = await verifyText(
        'resealed-receipt',
        edit((b) => {
          const r = b.receipts[1];
          r.transition.payload = { forged: 'yes' };
          r.transition.payload_sha256 = digestOf(r.transition.payload);
          const { proof, next_root, ...rest } = r;
          r.next_root = digestOf(rest);
        }),
      );
      expect(out.errors).toEqual([expect.objectContaining({ check: 'proof', path: '#/receipts/1' })]);
    });

    it('a dropped receipt: the chain stops before it, the bundle and its head checkpoint say so', async () => {
      const out = await verifyText('dropped', edit((b) => b.receipts.splice(3, 1)));
      expect(checks(out.bundle.errors)).toEqual(expect.arrayContaining(['bundle-receipts', 'bundle-checkpoints']));
      expect(out.bundle.errors.find((e: any) => e.check === 'bundle-receipts' && e.path === '#/receipts/3').message).toMatch(/receipt 3 is missing|sequence/);
      expect(out.receipt_count).toBe(3);
      expect(checks(out.checkpoint.errors)).toEqual(expect.arrayContaining(['receipt-count', 'final-state-root', 'mmr-root']));
    });

    it('a swapped checkpoint: a lower height as the head, or another corridor\'s head', async () => {
      const lower = (await node.api('GET', `/corridors/${id}/checkpoints/2`)).body;
      const out = await verifyText('lower-checkpoint', edit((b) => (b.checkpoints[b.checkpoints.length - 1] = lower)));
      expect(checks(out.checkpoint.errors)).toEqual(expect.arrayContaining(['receipt-count', 'final-state-root', 'mmr-root']));
      expect(checks(out.bundle.errors)).toContain('bundle-checkpoints');
      expect(out.errors).toEqual([]); // the receipts themselves are fine

      const foreign = (await node.api('GET', `/corridors/${other}/checkpoint`)).body;
      const out2 = await verifyText('foreign-checkpoint', edit((b) => (b.checkpoints[b.checkpoints.length - 1] = foreign)));
      expect(checks(out2.checkpoint.errors)).toEqual(expect.arrayContaining(['corridor-id', 'genesis-root']));

      const forged = edit((b) => (b.checkpoints[b.checkpoints.length - 1].mmr.root = 'a'.repeat(64)));
      const out3 = await verifyText('forged-checkpoint', forged);
      expect(checks(out3.checkpoint.errors)).toEqual(expect.arrayContaining(['proof', 'mmr-root']));
    });

    it('another definition credential: not the one the lifecycle recorded, and a different genesis', async () => {
      const out = await verifyText('definition', edit((b) => (b.definition_vc = JSON.parse(canonicalize(buildExampleCorridor({ corridorId: id, seed: 'someone else', issuedAt: '2026-01-01T00:00:00Z' }).definition)))));
      expect(checks(out.bundle.errors)).toContain('bundle-definition');
      expect(checks(out.errors)).toEqual(['genesis-mismatch']);
    });

    it('a dropped fork resolution, a changed lifecycle receipt', async () => {
      const out = await verifyText('no-resolution', edit((b) => (b.fork_resolutions = [])));
      expect(out.bundle.errors).toEqual([expect.objectContaining({ check: 'bundle-fork-resolutions', path: '#/fork_resolutions' })]);
      const out2 = await verifyText('lifecycle', edit((b) => (b.lifecycle.receipts[0].timestamp = '2030-01-01T00:00:00Z')));
      expect(out2.lifecycle.errors).toEqual([expect.objectContaining({ check: 'next-root', path: '#/lifecycle/receipts/0' })]);
    });

    it('not a tamper: a receipt co-signed by a zone (proof becomes a list) still verifies', async () => {
      const doc = parseJsonText(bundleText) as any;
      doc.bundle.receipts[1] = addProof(doc.bundle.receipts[1], corridor.zones[1]!.key, { created: '2026-03-01T00:00:00Z' });
      expect(Array.isArray(doc.bundle.receipts[1].proof)).toBe(true);
      const f = join(dir, 'cosigned.json');
      writeFileSync(f, reseal(doc));
      const r = await runCli(['chain', 'verify', '--bundle', f]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.json()).toMatchObject({ valid: true, errors: [], bundle: { errors: [] } });
    });

    it('an edit without a recomputed digest, and a pretty-printed bundle', async () => {
      const doc = parseJsonText(bundleText) as any;
      doc.bundle.exported_at = '2030-01-01T00:00:00Z';
      const out = await verifyText('digest', canonicalize(doc));
      expect(out.bundle.errors).toEqual([expect.objectContaining({ check: 'bundle-digest', path: '#/bundle_sha256' })]);
      const pretty = await verifyText('pretty', JSON.stringify(JSON.parse(bundleText), null, 2));
      expect(checks(pretty.bundle.errors)).toEqual(['bundle-canonical-bytes']);
    });
  });

  it('--layout reference writes the reference module layout; `chain verify --module --receipts` gives the same roots', async () => {
    const ref = join(dir, 'reference');
    const exported = await runCli(['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', id, '--layout', 'reference', '--out', ref], '', { SOURCE_DATE_EPOCH: EPOCH });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    const count = (await head()).head.sequence + 1;
    expect(readdirSync(join(ref, 'receipts'))).toHaveLength(count);
    expect(readdirSync(join(ref, 'receipts'))[0]).toBe('000000.json');
    for (const f of ['corridor.yaml', 'corridor.vc.json', 'corridor.agreement.0.vc.json', 'corridor.agreement.1.vc.json', 'trust-anchors.yaml', 'registries/rulesets.yaml', 'fork-alarms/fork-alarm-0.json', 'fork-resolutions/fork-resolution-0.json', 'lifecycle/checkpoint.json', 'export.json']) {
      expect([f, existsSync(join(ref, f))]).toEqual([f, true]);
    }
    const manifest = parseYaml(readFileSync(join(ref, 'corridor.yaml'), 'utf8'));
    expect(manifest).toMatchObject({ corridor_id: id, definition_vc_path: 'corridor.vc.json', verification_ruleset: 'msez.corridor.verification.v1', state_channel: { transition_ruleset: 'msez.corridor.state-transition.v2' } });
    expect(parseYaml(readFileSync(join(ref, 'registries/rulesets.yaml'), 'utf8')).rulesets.map((r: any) => r.path)).toEqual(['rulesets/msez.corridor.state-transition.v2.json', 'rulesets/msez.corridor.verification.v1.json']);

    const byBundle = (await runCli(['chain', 'verify', '--bundle', bundleFile])).json();
    const verified = await runCli(['chain', 'verify', '--module', ref, '--receipts', join(ref, 'receipts'), '--check-canonical-bytes', '--checkpoint', join(ref, `checkpoints/checkpoint-${count}.json`), '--fork-resolution', join(ref, 'fork-resolutions')]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    const out = verified.json();
    expect(out).toMatchObject({ valid: true, receipt_count: count, checkpoint: { valid: true } });
    for (const k of ['corridor_id', 'genesis_root', 'receipt_count', 'final_state_root', 'mmr']) expect([k, out[k]]).toEqual([k, byBundle[k]]);

    // The same layout, converted offline from the bundle: byte for byte.
    const converted = join(dir, 'converted');
    const conv = await runCli(['export', '--bundle', bundleFile, '--layout', 'reference', '--out', converted]);
    expect(conv.code).toBe(0);
    for (const f of ['corridor.yaml', 'trust-anchors.yaml', 'registries/rulesets.yaml', 'receipts/000004.json', `checkpoints/checkpoint-${count}.json`, 'export.json']) {
      expect([f, readFileSync(join(converted, f), 'utf8')]).toEqual([f, readFileSync(join(ref, f), 'utf8')]);
    }
    const again = await runCli(['export', '--bundle', bundleFile, '--layout', 'reference', '--out', converted]);
    expect([again.code, again.problem().type]).toEqual([2, PROBLEM + 'out-exists']);
  });

  it('replay --node fetches every chain, re-verifies it and rebuilds the projections: the live commitment', async () => {
    const live = (await node.api('GET', '/regulator/tensor/commitment', undefined, reg)).body;
    const run = await runCli(['replay', '--node', node.url, '--token', TOKENS.regulator, '--page-size', '4']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.json();
    expect(out).toMatchObject({ matches: true, valid: true, node: { did: node.did, jurisdiction: 'PK' } });
    expect(out.tensor.commitment).toMatch(HEX64);
    expect(out.tensor.commitment).toBe(live.commitment);
    expect(out.tensor.cell_count).toBe(live.cell_count);
    expect(out.tensor.events).toBe(live.events);
    expect(out.live.commitment).toBe(live.commitment);
    const kinds = out.chains.map((c: any) => `${c.kind} ${c.stream}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        `corridor_lifecycle corridor_lifecycle-${id}`,
        `corridor_state_channel corridor-${id}`,
        `corridor_state_channel corridor-${other}`,
        `corridor_lifecycle corridor_lifecycle-${draft}`,
        'migration migration-mig-audit',
        'dispute dispute-dsp-audit',
        `watcher_bond watcher_bond-${watcher.did}`,
      ]),
    );
    expect(out.chains.every((c: any) => c.valid && c.errors.length === 0 && c.checkpoint === true)).toBe(true);
    expect(out.projections.find((p: any) => p.projection === 'corridor_status').rows.corridors).toBe(3);
    expect(out.projections.find((p: any) => p.projection === 'dispute_docket').rows.disputes).toBe(1);

    // With an auditor's token: the corridors named, no live commitment to compare with; without any, nothing.
    const one = await runCli(['replay', '--node', node.url, '--corridor', id, '--token', TOKENS.auditor]);
    expect(one.code).toBe(0);
    expect(one.json()).toMatchObject({ live: null, matches: null, valid: true });
    const wrong = await runCli(['replay', '--node', node.url, '--token', 'not-a-token']);
    expect([wrong.code, wrong.problem().type]).toEqual([2, PROBLEM + 'unauthorized']);
    const none = await runCli(['replay', '--node', node.url]);
    expect([none.code, none.problem().type]).toEqual([2, PROBLEM + 'usage']);
    const anonymous = await runCli(['replay', '--node', node.url, '--corridor', id]);
    expect([anonymous.code, anonymous.problem().type]).toEqual([2, PROBLEM + 'unauthorized']);
  });

  it('replay --bundle rebuilds the projections from the bundle alone', async () => {
    const run = await runCli(['replay', '--bundle', bundleFile]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = run.json();
    expect(out).toMatchObject({ corridor_id: id, valid: true, live: null, matches: null });
    expect(out.chains.map((c: any) => [c.kind, c.valid])).toEqual([['corridor_lifecycle', true], ['corridor_state_channel', true]]);
    expect(out.tensor.commitment).toMatch(HEX64);
    const status = out.projections.find((p: any) => p.projection === 'corridor_status');
    expect(status.rows.corridors).toBe(1);
    // Tampered: still rebuilt, but the replay says the bundle does not verify.
    const f = join(dir, 'replay-tampered.json');
    const doc = parseJsonText(bundleText) as any;
    doc.bundle.receipts[0].timestamp = '2030-01-01T00:00:00Z';
    writeFileSync(f, reseal(doc));
    const bad = await runCli(['replay', '--bundle', f]);
    expect(bad.code).toBe(1);
    expect(bad.json().valid).toBe(false);
  });

  it('as a real process: export, verify, and a clear error for an unreachable node', async () => {
    const f = join(dir, 'process-bundle.json');
    const exported = await runCliProcess(['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', id, '--out', f]);
    expect([exported.code, exported.stderr]).toEqual([0, '']);
    const verified = await runCliProcess(['chain', 'verify', '--bundle', f]);
    expect([verified.code, verified.stderr]).toEqual([0, '']);
    expect(JSON.parse(verified.stdout).valid).toBe(true);
    const port = await closedPort();
    const down = await runCliProcess(['replay', '--node', `http://127.0.0.1:${port}`, '--corridor', id]);
    expect(down.code).toBe(2);
    expect(down.stdout).toBe('');
    expect(JSON.parse(down.stderr.split('\n')[0]!)).toMatchObject({ type: PROBLEM + 'node-unreachable', status: 400, detail: expect.stringContaining('ECONNREFUSED') });
    expect(down.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('failures are problem documents, never stack traces', async () => {
    const port = await closedPort();
    const cases: [string[], string][] = [
      [['export', '--node', `http://127.0.0.1:${port}`, '--corridor', id], 'node-unreachable'],
      [['replay', '--node', `http://127.0.0.1:${port}`, '--corridor', id], 'node-unreachable'],
      [['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', 'org.example.nowhere'], 'not-found'],
      [['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', draft], 'not-activated'],
      [['export', '--node', 'ftp://example.org', '--corridor', id], 'usage'],
      [['export', '--node', node.url], 'usage'],
      [['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', id, '--layout', 'zip'], 'usage'],
      [['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', id, '--page-size', '5000'], 'usage'],
      [['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', id, '--ruleset', join(dir, 'bundle.json')], 'invalid-ruleset'],
      [['chain', 'verify', '--bundle', bundleFile, '--module', dir], 'usage'],
      [['chain', 'verify', '--bundle', join(dir, 'missing.json')], 'unreadable-file'],
      [['replay', '--data', dir, '--node', node.url], 'usage'],
    ];
    for (const [argv, slug] of cases) {
      const r = await runCli(argv);
      expect([argv.join(' '), r.code, r.problem().type]).toEqual([argv.join(' '), 2, PROBLEM + slug]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    // A descriptor that is not the node's: the genesis could not be recomputed, so the export refuses.
    const wrongRuleset = join(dir, 'wrong-ruleset.json');
    writeFileSync(wrongRuleset, JSON.stringify({ ruleset_id: 'msez.corridor.verification.v1', title: 'not the node\'s' }));
    const r = await runCli(['export', '--node', node.url, '--token', TOKENS.auditor, '--corridor', id, '--ruleset', wrongRuleset]);
    expect([r.code, r.problem().type]).toEqual([2, PROBLEM + 'ruleset-unavailable']);
    expect(r.problem().detail).toContain('--ruleset');

    const malformed: [string, string][] = [
      ['not json', 'invalid-bundle'],
      ['{"bundle":{"amount":1.5},"bundle_sha256":"x"}', 'invalid-bundle'],
      ['[]', 'invalid-bundle'],
      [canonicalize({ bundle: { ...(parseJsonText(bundleText) as any).bundle, format: 'something-else' }, bundle_sha256: 'a'.repeat(64) }), 'invalid-bundle'],
      [canonicalize({ bundle: { ...(parseJsonText(bundleText) as any).bundle, receipts: 7 }, bundle_sha256: 'a'.repeat(64) }), 'invalid-bundle'],
    ];
    for (const [text, slug] of malformed) {
      const f = join(dir, 'malformed.json');
      writeFileSync(f, text);
      for (const argv of [['chain', 'verify', '--bundle', f], ['replay', '--bundle', f], ['export', '--bundle', f, '--layout', 'reference', '--out', join(dir, 'never')]]) {
        const m = await runCli(argv);
        expect([text.slice(0, 40), argv[0], m.code, m.problem().type]).toEqual([text.slice(0, 40), argv[0], 2, PROBLEM + slug]);
      }
    }
  });

  it('property: a randomly mutated bundle file never verifies and never crashes the CLI', async () => {
    const f = join(dir, 'mutated.json');
    const base = Buffer.from(bundleText, 'utf8');
    const mutation = fc.oneof(
      fc.record({ op: fc.constant('replace' as const), at: fc.nat(base.length - 2), byte: fc.integer({ min: 0x20, max: 0x7e }) }),
      fc.record({ op: fc.constant('insert' as const), at: fc.nat(base.length - 1), byte: fc.integer({ min: 0x09, max: 0x7e }) }),
      fc.record({ op: fc.constant('delete' as const), at: fc.nat(base.length - 2), len: fc.integer({ min: 1, max: 40 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        let bytes = Buffer.from(base);
        for (const m of mutations) {
          const at = Math.min(m.at, bytes.length - 1);
          if (m.op === 'replace') {
            if (bytes[at] === m.byte) continue;
            bytes[at] = m.byte;
          } else if (m.op === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([m.byte]), bytes.subarray(at)]);
          else bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + m.len)]);
        }
        if (bytes.equals(base)) return;
        writeFileSync(f, bytes);
        const r = await runCli(['chain', 'verify', '--bundle', f]);
        expect([1, 2]).toContain(r.code);
        if (r.code === 2) {
          expect(r.problem().type).not.toBe(PROBLEM + 'internal-error');
          expect(r.stderr).not.toMatch(/\n\s+at /);
        } else expect(r.json().valid).toBe(false);
      }),
      { numRuns: 150 },
    );
  }, 60_000);

  it('property: a signed value changed anywhere (and the digest resealed) never verifies', async () => {
    const f = join(dir, 'resealed.json');
    const doc = parseJsonText(bundleText) as any;
    // Every leaf the signatures (or the bundle's cross-checks) cover: everything but the proofs themselves.
    const leaves: (string | number)[][] = [];
    const walk = (v: any, path: (string | number)[]) => {
      if (path.includes('proof')) return;
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) walk(v[k], [...path, k]);
      else leaves.push(path);
    };
    for (const section of ['receipts', 'checkpoints', 'lifecycle', 'definition_vc', 'agreement_vcs', 'fork_alarms', 'fork_resolutions', 'trust_anchors', 'ruleset_descriptors', 'manifest']) walk(doc.bundle[section], [section]);
    await fc.assert(
      fc.asyncProperty(fc.nat(leaves.length - 1), fc.string({ minLength: 1, maxLength: 8 }), async (i, text) => {
        const copy = parseJsonText(bundleText) as any;
        const path = leaves[i]!;
        let parent = copy.bundle;
        for (const k of path.slice(0, -1)) parent = parent[k];
        const last = path[path.length - 1]!;
        const before = parent[last];
        const after = typeof before === 'string' ? before + text : typeof before === 'number' ? before + 1 + text.length : typeof before === 'boolean' ? !before : text;
        parent[last] = after;
        writeFileSync(f, reseal(copy));
        const r = await runCli(['chain', 'verify', '--bundle', f]);
        expect([path.join('/'), [1, 2].includes(r.code)]).toEqual([path.join('/'), true]);
        if (r.code === 2) expect(r.problem().type).not.toBe(PROBLEM + 'internal-error');
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
