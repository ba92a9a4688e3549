import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { runCli, tempDir, writeTemp } from '../support/cli-harness';
import { loadVectors } from '../support/vectors';

const REPO = join(__dirname, '..', '..');
const vc = loadVectors('vc.json');

describe('corridor canon / digest', () => {
  it('prints canonical bytes of a file and of stdin', async () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'doc.json', '{ "b": [1, 2], "a": "é", "big": 123456789012345678901234567890 }');
    const viaFile = await runCli(['canon', file]);
    expect(viaFile.code).toBe(0);
    expect(viaFile.stdout).toBe('{"a":"é","b":[1,2],"big":123456789012345678901234567890}');
    const viaStdin = await runCli(['canon', '-'], '{"z":0,"a":{}}');
    expect(viaStdin.stdout).toBe('{"a":{},"z":0}');
  });

  it('digest is the SHA-256 of the canonical bytes', async () => {
    const r = await runCli(['digest'], '{"b":2,"a":1}');
    expect(r.code).toBe(0);
    expect(r.json()).toEqual({ sha256: createHash('sha256').update('{"a":1,"b":2}').digest('hex') });
  });

  it.each([
    ['a float', '{"amount": 1.0}', 'float-not-allowed'],
    ['an exponent', '[1e2]', 'float-not-allowed'],
    ['unparsable JSON', '{"a":', 'invalid-json'],
    ['a lone surrogate', '"\\udc00"', 'invalid-string'],
  ])('refuses %s with an RFC 9457 problem on stderr and exit 2', async (_what, input, slug) => {
    const r = await runCli(['canon'], input);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const p = r.problem();
    expect(p.type).toBe(`https://corridor-ledger.dev/problems/${slug}`);
    expect(p.title).toEqual(expect.any(String));
    expect(p.detail).toEqual(expect.any(String));
  });

  it('a missing file is a problem, not a crash', async () => {
    const r = await runCli(['digest', join(tempDir(), 'nope.json')]);
    expect(r.code).toBe(2);
    expect(r.problem().type).toBe('https://corridor-ledger.dev/problems/unreadable-file');
    expect(r.problem().detail).toContain('ENOENT');
  });

  it('never crashes on random input: exit 0 with output, or exit 2 with a problem', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ unit: 'binary', maxLength: 100 }), fc.json()), async (input) => {
        const r = await runCli(['canon'], input);
        if (r.code === 0) expect(r.stderr).toBe('');
        else {
          expect(r.code).toBe(2);
          expect(r.problem().type).toMatch(/^https:\/\/corridor-ledger\.dev\/problems\/(invalid-json|float-not-allowed|invalid-string)$/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('unknown commands and options are usage problems', async () => {
    expect((await runCli(['frobnicate'])).code).toBe(2);
    const r = await runCli(['canon', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.problem().type).toBe('https://corridor-ledger.dev/problems/usage');
  });
});

describe('corridor keys / vc', () => {
  it('keys new writes a 0600 JWK whose did:key signs credentials that verify', async () => {
    const dir = tempDir();
    const keyFile = join(dir, 'node.jwk');
    const made = await runCli(['keys', 'new', '--out', keyFile, '--kid', 'node-1']);
    expect(made.code).toBe(0);
    expect(made.json().did).toMatch(/^did:key:z6Mk/);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    // Refuses to overwrite an existing key.
    expect((await runCli(['keys', 'new', '--out', keyFile])).code).toBe(2);
    // `keys did` prints the bare did:key (for shell variables); a file that is no JWK is a problem, exit 2.
    const did = await runCli(['keys', 'did', keyFile]);
    expect(did.code).toBe(0);
    expect(did.stdout).toBe(`${made.json().did}\n`);
    expect((await runCli(['keys', 'did', writeTemp(dir, 'not-a-key.json', { kty: 'RSA' })])).code).toBe(2);

    const docFile = writeTemp(dir, 'doc.json', { id: 'urn:example:1', hello: 'world' });
    const signed = await runCli(['vc', 'sign', '--key', keyFile, docFile]);
    expect(signed.code).toBe(0);
    expect(signed.json().proof.verificationMethod).toBe(`${made.json().did}#node-1`);
    const signedFile = writeTemp(dir, 'signed.json', signed.stdout);
    const cosigner = await runCli(['keys', 'new', '--out', join(dir, 'b.jwk')]);
    const cosigned = await runCli(['vc', 'sign', '--key', join(dir, 'b.jwk'), signedFile]);
    const cosignedFile = writeTemp(dir, 'cosigned.json', cosigned.stdout);
    const verified = await runCli(['vc', 'verify', cosignedFile]);
    expect(verified.code).toBe(0);
    expect(verified.json()).toEqual({
      valid: true,
      proofs: [
        { verificationMethod: `${made.json().did}#node-1`, valid: true },
        { verificationMethod: `${cosigner.json().did}#key-1`, valid: true },
      ],
    });
  });

  it('vc sign is reproducible with SOURCE_DATE_EPOCH and matches the reference signature', async () => {
    const dir = tempDir();
    const c = vc.signing_cases[0];
    const devKey = vc.did_key_vectors.find((k: any) => k.key === c.steps[0].signer).jwk;
    const created = Date.parse(c.created) / 1000;
    const r = await runCli(['vc', 'sign', '--key', writeTemp(dir, 'k.jwk', devKey), '--verification-method', c.steps[0].verificationMethod, writeTemp(dir, 'd.json', c.unsigned)], '', {
      SOURCE_DATE_EPOCH: String(created),
    });
    expect(r.json().proof).toEqual(c.steps[0].proof);
  });

  it('vc verify answers invalid (exit 1) with one result per proof and the failing check', async () => {
    const dir = tempDir();
    const neg = vc.verification_negative_cases.find((c: any) => c.case === 'proof-type');
    const r = await runCli(['vc', 'verify', writeTemp(dir, 'v.json', neg.document)]);
    expect(r.code).toBe(1);
    const out = r.json();
    expect(out.valid).toBe(false);
    expect(out.proofs.map((p: any) => p.valid)).toEqual([false, true]);
    expect(out.proofs[0].check).toBe('proof-type');
  });

  it('vc verify of a malformed proof document is bad input (exit 2)', async () => {
    const r = await runCli(['vc', 'verify'], '[1,2]');
    expect(r.code).toBe(2);
    expect(r.problem().type).toBe('https://corridor-ledger.dev/problems/invalid-credential');
  });
});

describe('the installed binary', () => {
  it('`npx corridor --help` works from the repository root', () => {
    const out = execFileSync('npx', ['--no-install', 'corridor', '--help'], { cwd: REPO, encoding: 'utf8' });
    expect(out).toContain('corridor chain verify');
  });

  it('reports bad input through the process exit code', () => {
    const r = spawnSync(join(REPO, 'apps', 'cli', 'bin', 'corridor.js'), ['canon', '-'], { input: '{"x":2.5}', encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr.split('\n')[0]).type).toBe('https://corridor-ledger.dev/problems/float-not-allowed');
  });
});
