import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { runCli, tempDir, writeTemp } from '../support/cli-harness';
import { loadVectors } from '../support/vectors';

const mmr = loadVectors('mmr.json');
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const roots = (n: number) => Array.from({ length: n }, (_, i) => sha(`receipt-${i}`));

describe('corridor mmr', () => {
  it('root prints the reference root and peaks for the golden next_roots', async () => {
    const dir = tempDir();
    // The vector's leaf rule: next_root_i = sha256_hex('receipt-' + i) for i = 1..n.
    expect(mmr.leaf_data_rule).toContain("sha256_hex(utf8('receipt-' + i)) for i = 1..n");
    const inputs = Array.from({ length: 64 }, (_, i) => sha(`receipt-${i + 1}`));
    for (const expected of mmr.roots.slice(0, 20)) {
      const r = await runCli(['mmr', 'root', writeTemp(dir, `r${expected.size}.json`, inputs.slice(0, expected.size))]);
      expect(r.code).toBe(0);
      expect(r.json().root).toBe(expected.root);
      expect(r.json().size).toBe(expected.size);
      expect(r.json().peaks).toEqual(expected.peaks);
    }
  });

  it('prove then verify: valid (exit 0); a tampered proof: invalid (exit 1) with the failing check', async () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'roots.json', roots(11));
    const proof = await runCli(['mmr', 'prove', file, '--index', '6']);
    expect(proof.code).toBe(0);
    expect(proof.json()).toMatchObject({ size: 11, leaf_index: 6, receipt_next_root: roots(11)[6] });
    const ok = await runCli(['mmr', 'verify', writeTemp(dir, 'p.json', proof.stdout)]);
    expect([ok.code, ok.json()]).toEqual([0, { valid: true, kind: 'inclusion' }]);
    const tampered = { ...proof.json(), size: 12 };
    const bad = await runCli(['mmr', 'verify', writeTemp(dir, 't.json', tampered)]);
    expect(bad.code).toBe(1);
    expect(bad.json().valid).toBe(false);
    expect(bad.json().reason).toEqual(expect.any(String));
  });

  it('consistency proofs between every pair of sizes verify, and fail against another history', async () => {
    const dir = tempDir();
    const file = writeTemp(dir, 'roots.json', roots(9));
    for (let m = 1; m <= 9; m++) {
      const p = await runCli(['mmr', 'consistency', file, '--from', String(m)]);
      expect(p.code).toBe(0);
      const v = await runCli(['mmr', 'verify', writeTemp(dir, `c${m}.json`, p.stdout)]);
      expect([m, v.code, v.json().kind]).toEqual([m, 0, 'consistency']);
    }
    const other = roots(9);
    other[2] = sha('rewritten');
    const rewritten = await runCli(['mmr', 'root', writeTemp(dir, 'other.json', other.slice(0, 4))]);
    const proof = (await runCli(['mmr', 'consistency', file, '--from', '4'])).json();
    const forged = await runCli(['mmr', 'verify', writeTemp(dir, 'forged.json', { ...proof, old_root: rewritten.json().root, old_peaks: rewritten.json().peaks })]);
    expect(forged.code).toBe(1);
  });

  it.each([
    [['mmr', 'root'], '{"a":1}', 'invalid-digest'],
    [['mmr', 'root'], '["zz"]', 'invalid-digest'],
    [['mmr', 'prove', '-', '--index', '5'], JSON.stringify([sha('a')]), 'out-of-range'],
    [['mmr', 'prove', '-', '--index', 'x'], JSON.stringify([sha('a')]), 'usage'],
    [['mmr', 'verify'], '[1]', 'invalid-proof'],
    [['mmr', 'verify'], '{"size":1.5}', 'float-not-allowed'],
  ])('%j with %s is bad input (exit 2, problem %s)', async (argv, stdin, slug) => {
    const r = await runCli(argv as string[], stdin);
    expect(r.code).toBe(2);
    expect(r.problem().type).toBe(`https://corridor-ledger.dev/problems/${slug}`);
  });

  it('mmr verify never crashes on hostile proofs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.object(), async (obj) => {
        const r = await runCli(['mmr', 'verify'], JSON.stringify(obj));
        expect([1, 2]).toContain(r.code);
      }),
      { numRuns: 200 },
    );
  });
});
