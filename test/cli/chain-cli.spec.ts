import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalize } from '@corridor/protocol';
import { runCli, tempDir } from '../support/cli-harness';
import { chainVectors as V, fileText, signedReceipts } from '../support/corridor-fixture';

/**
 * `corridor chain …` on the corridor of corridor-chain.json, materialised as the reference lays a repository out:
 * registries/rulesets.yaml and the ruleset descriptors at the root, the module (manifest, credentials, trust anchors)
 * in modules/corridors/oracle, its receipts as canonical JSON + LF files.
 */
function materialise(): { root: string; mod: string; keys: Record<string, string> } {
  const root = tempDir('corridor-chain-cli-');
  const put = (rel: string, content: string) => {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, content);
    return p;
  };
  const descriptors = Object.entries<any>(V.corridor.ruleset_descriptors);
  put('registries/rulesets.yaml', `rulesets:\n${descriptors.map(([id, d]) => `  - ruleset_id: ${id}\n    path: ${d.path}\n`).join('')}`);
  for (const [, d] of descriptors) put(d.path, JSON.stringify(d.content, null, 2) + '\n');
  const m = 'modules/corridors/oracle';
  for (const [name, content] of Object.entries<string>(V.corridor.module_dir_files)) put(`${m}/${name}`, content);
  signedReceipts.forEach((r, i) => put(`${m}/state/receipts/r${String(i).padStart(2, '0')}.json`, fileText(r)));
  for (const c of Object.values<any>(V.checkpoints)) put(`${m}/${c.path}`, fileText(c.checkpoint));
  const f = V.fork.setup;
  f.receipt_files.forEach((name: string) => {
    const doc = { 'r03a.json': f.branch_a_receipt, 'r03b.json': f.branch_b_receipt, 'r04a.json': f.branch_a_child_receipt }[name] ?? signedReceipts[Number(name.slice(1, 3))];
    put(`${m}/state/receipts-fork/${name}`, fileText(doc));
  });
  put(`${m}/state/fork-resolutions/fork-resolution.json`, fileText(V.fork.fork_resolution_vc.vc));
  const keys: Record<string, string> = {};
  for (const [name, jwk] of Object.entries<any>(V.corridor.signer_key_files)) keys[name] = put(`keys/${name}`, JSON.stringify(jwk));
  return { root, mod: join(root, m), keys };
}

describe('corridor chain', () => {
  const { root, mod, keys } = materialise();
  const receipts = join(mod, 'state/receipts');

  it('verify: prints the reference final_state_root and MMR (root found from the module)', async () => {
    const r = await runCli(['chain', 'verify', '--module', mod, '--receipts', receipts]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = r.json();
    const ref = V.chain_verification.result;
    expect(out.valid).toBe(true);
    expect(out.corridor_id).toBe(ref.corridor_id);
    expect(out.genesis_root).toBe(ref.genesis_root);
    expect(out.receipt_count).toBe(ref.receipt_count);
    expect(out.final_state_root).toBe(ref.final_state_root);
    expect(out.mmr).toEqual({ size: ref.mmr.size, root: ref.mmr.root, peaks: ref.mmr.peaks });
    expect(out.forks).toEqual([]);
    expect(out.warnings).toEqual([]);
    expect(out.errors).toEqual([]);
  });

  it('verify with the head checkpoint, canonical bytes, trust anchors and receipt thresholds', async () => {
    const r = await runCli([
      'chain', 'verify', '--module', mod, '--receipts', receipts, '--root', root,
      '--checkpoint', join(mod, V.checkpoints.full.path),
      '--check-canonical-bytes', '--enforce-trust-anchors', '--enforce-receipt-threshold',
    ]);
    expect(r.code).toBe(0);
    expect(r.json().checkpoint).toEqual({ valid: true, signers: expect.any(Array), errors: [] });
  });

  it('verify from the half checkpoint with only the tail: the correct head MMR root', async () => {
    const tail = join(root, 'tail');
    mkdirSync(tail);
    signedReceipts.slice(5).forEach((rc, i) => writeFileSync(join(tail, `r${i + 5}.json`), fileText(rc)));
    const r = await runCli(['chain', 'verify', '--module', mod, '--receipts', tail, '--from-checkpoint', join(mod, V.checkpoints.half.path)]);
    expect(r.code).toBe(0);
    expect(r.json().mmr.root).toBe(V.incremental_from_checkpoint.correct_full_mmr_root);
  });

  it('checkpoint: reproduces the reference checkpoint byte for byte', async () => {
    const c = V.checkpoints.full;
    const r = await runCli(['chain', 'checkpoint', '--module', mod, '--receipts', receipts, '--timestamp', c.checkpoint.timestamp, '--key', keys['zone-a.ed25519.jwk'], '--key', keys['zone-b.ed25519.jwk']]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(canonicalize(c.checkpoint) + '\n');
  });

  it('checkpoint: the timestamp comes from SOURCE_DATE_EPOCH when set', async () => {
    const epoch = String(Date.parse(V.checkpoints.full.checkpoint.timestamp) / 1000);
    const r = await runCli(['chain', 'checkpoint', '--module', mod, '--receipts', receipts, '--key', keys['zone-a.ed25519.jwk'], '--key', keys['zone-b.ed25519.jwk']], '', { SOURCE_DATE_EPOCH: epoch });
    expect(r.stdout).toBe(canonicalize(V.checkpoints.full.checkpoint) + '\n');
  });

  it.each([0, 4, 9])('prove: the inclusion proof of receipt %i, and verify-proof accepts it', async (seq) => {
    const ref = V.inclusion_proofs.find((p: any) => p.sequence === seq).proof;
    const checkpoint = join(mod, V.checkpoints.full.path);
    const r = await runCli(['chain', 'prove', '--module', mod, '--receipts', receipts, '--sequence', String(seq), '--checkpoint', checkpoint, '--generated-at', ref.generated_at]);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual(ref);
    const proofFile = join(root, `proof-${seq}.json`);
    writeFileSync(proofFile, r.stdout);
    const receipt = join(receipts, `r${String(seq).padStart(2, '0')}.json`);
    const ok = await runCli(['chain', 'verify-proof', '--module', mod, '--receipt', receipt, '--proof', proofFile, '--checkpoint', checkpoint, '--enforce-trust-anchors']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toEqual({ valid: true });
    const other = join(receipts, `r${String((seq + 1) % 10).padStart(2, '0')}.json`);
    const bad = await runCli(['chain', 'verify-proof', '--receipt', other, '--proof', proofFile, '--checkpoint', checkpoint]);
    expect(bad.code).toBe(1);
    expect(bad.json()).toMatchObject({ valid: false, check: 'receipt-binding' });
  });

  it('an invalid chain exits 1 with the failing check', async () => {
    const dir = join(root, 'tampered');
    mkdirSync(dir);
    signedReceipts.forEach((rc, i) => writeFileSync(join(dir, `r${i}.json`), fileText(i === 3 ? { ...rc, timestamp: '2030-01-01T00:00:00Z' } : rc)));
    const r = await runCli(['chain', 'verify', '--module', mod, '--receipts', dir]);
    expect(r.code).toBe(1);
    const out = r.json();
    expect(out.valid).toBe(false);
    expect(out.receipt_count).toBeNull();
    expect(out.errors).toEqual([expect.objectContaining({ check: 'next-root', path: join(dir, 'r3.json') })]);
    const ck = await runCli(['chain', 'checkpoint', '--module', mod, '--receipts', dir]);
    expect(ck.code).toBe(1);
  });

  it('forks: detected, resolved by the resolution credential, inspected', async () => {
    const forkDir = join(mod, 'state/receipts-fork');
    const detected = await runCli(['chain', 'verify', '--module', mod, '--receipts', forkDir]);
    expect(detected.code).toBe(1);
    expect(detected.json().errors.map((e: any) => e.check)).toEqual(['fork']);
    const resolutions = join(mod, 'state/fork-resolutions');
    const resolved = await runCli(['chain', 'verify', '--module', mod, '--receipts', forkDir, '--fork-resolution', resolutions]);
    expect(resolved.code).toBe(0);
    expect(resolved.json().final_state_root).toBe(V.fork.resolved_chain.result.final_state_root);
    expect(resolved.json().mmr.root).toBe(V.fork.resolved_chain.result.mmr.root);
    const inspect = await runCli(['chain', 'fork-inspect', '--module', mod, '--receipts', forkDir, '--fork-resolution', resolutions]);
    expect(inspect.code).toBe(0);
    expect(inspect.json()).toEqual(V.fork.fork_inspect_resolved.report);
  });

  it('bad input is a problem document and exit 2', async () => {
    const missing = await runCli(['chain', 'verify', '--module', join(root, 'nope'), '--receipts', receipts]);
    expect(missing.code).toBe(2);
    expect(missing.problem().type).toBe('https://corridor-ledger.dev/problems/invalid-module');
    const usage = await runCli(['chain', 'verify', '--receipts', receipts]);
    expect(usage.code).toBe(2);
    expect(usage.problem().type).toBe('https://corridor-ledger.dev/problems/usage');
    const seq = await runCli(['chain', 'prove', '--module', mod, '--receipts', receipts, '--sequence', '-1', '--checkpoint', join(mod, V.checkpoints.full.path)]);
    expect(seq.code).toBe(2);
  });
});
