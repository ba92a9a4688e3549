import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import {
  MmrAccumulator,
  MmrNodeLog,
  appendPeaks,
  bagPeaks,
  buildInclusionProof,
  mmrLeafHash,
  mmrNodeHash,
  mmrRootFromNextRoots,
  verifyInclusionProof,
} from '@corridor/protocol';

/**
 * Every case of mmr.json (golden vectors produced by running the MSEZ reference `tools/mmr.py`), each as its own test.
 * The only decision where we differ from the reference is the peak-binding quirk: the reference accepts a proof whose
 * `size` was changed while the peak list still describes the old size; we reject it. Those cases assert both values
 * side by side: the vector's `expected_valid: true` (with its note) and our `valid: false`.
 */

interface Peak {
  height: number;
  hash: string;
}
interface LeafVector {
  next_root: string;
  leaf_hash: string;
}
interface NodeVector {
  left: string;
  right: string;
  node_hash: string;
}
interface BagVector {
  peaks: Peak[];
  root: string;
}
interface RootVector {
  size: number;
  root: string;
  peaks: Peak[];
}
interface VerificationCase {
  case: string;
  proof: Record<string, unknown>;
  expected_valid: boolean;
  note?: string;
}
interface InclusionVector {
  size: number;
  leaf_index: number;
  proof: Record<string, unknown> & { receipt_next_root: string };
  verification_cases: VerificationCase[];
}
interface AppendVector {
  base_size: number;
  base_peaks: Peak[];
  append_next_roots: string[];
  append_leaf_hashes: string[];
  expected_peaks: Peak[];
  expected_root: string;
  equals_full_rebuild_root: string;
  reference_quirk_raw_next_root_append: { description: string; peaks: Peak[]; root: string };
}
interface MmrVectors {
  kind: string;
  leaf_data_rule: string;
  leaf_hash_vectors: LeafVector[];
  node_hash_vectors: NodeVector[];
  bag_vectors: BagVector[];
  roots: RootVector[];
  inclusion_proofs: InclusionVector[];
  append_vectors: AppendVector[];
}

const vectors: MmrVectors = JSON.parse(fs.readFileSync(path.join(__dirname, '../fixtures/vectors/mmr.json'), 'utf8'));

/** Input rule of the vector file: next_root_i = sha256_hex(utf8('receipt-' + i)) for i = 1..n. */
function nextRoots(n: number): string[] {
  const out: string[] = [];
  for (let i = 1; i <= n; i++) out.push(createHash('sha256').update(`receipt-${i}`, 'utf8').digest('hex'));
  return out;
}

describe('mmr.json file', () => {
  it('has the documented rules and counts', () => {
    expect(vectors.kind).toBe('mmr');
    expect(vectors.leaf_data_rule).toMatch(/^next_root_i = sha256_hex\(utf8\('receipt-' \+ i\)\) for i = 1\.\.n/);
    expect(vectors.roots.map((r) => r.size)).toEqual(Array.from({ length: 64 }, (_, i) => i + 1));
    expect(vectors.inclusion_proofs).toHaveLength(14);
    const cases = vectors.inclusion_proofs.reduce((n, ip) => n + ip.verification_cases.length, 0);
    expect(cases).toBe(129);
    expect(vectors.append_vectors).toHaveLength(4);
  });

  it('leaf_data_rule matches the next_roots carried by the vectors', () => {
    const roots = nextRoots(64);
    vectors.leaf_hash_vectors.forEach((v, i) => expect(v.next_root).toBe(roots[i]));
    for (const ip of vectors.inclusion_proofs) expect(ip.proof.receipt_next_root).toBe(roots[ip.leaf_index]);
  });
});

describe('leaf hash vectors', () => {
  it.each(vectors.leaf_hash_vectors.map((v, i): [number, LeafVector] => [i, v]))(
    'leaf %i',
    (_i, v) => {
      expect(mmrLeafHash(v.next_root)).toBe(v.leaf_hash);
      // hex accepted case-insensitively and trimmed, like the reference
      expect(mmrLeafHash(`  ${v.next_root.toUpperCase()}\n`)).toBe(v.leaf_hash);
    },
  );
});

describe('node hash vectors', () => {
  it.each(vectors.node_hash_vectors.map((v, i): [number, NodeVector] => [i, v]))(
    'node %i',
    (_i, v) => {
      expect(mmrNodeHash(v.left, v.right)).toBe(v.node_hash);
    },
  );
});

describe('bag vectors', () => {
  it.each(vectors.bag_vectors.map((v): [number, BagVector] => [v.peaks.length, v]))(
    '%i peaks',
    (_n, v) => {
      expect(bagPeaks(v.peaks)).toBe(v.root);
    },
  );
});

describe('roots n=1..64', () => {
  it.each(vectors.roots.map((r): [number, RootVector] => [r.size, r]))('size %i', (size, r) => {
    const leaves = nextRoots(size);
    const got = mmrRootFromNextRoots(leaves);
    // exact JSON, key order included
    expect(JSON.stringify(got)).toBe(JSON.stringify(r));

    const acc = new MmrAccumulator();
    for (const nr of leaves) acc.append(nr);
    expect(acc.snapshot()).toEqual(r);

    const log = MmrNodeLog.fromNextRoots(leaves);
    expect(log.snapshot()).toEqual(r);
  });
});

describe('inclusion proofs', () => {
  it.each(vectors.inclusion_proofs.map((ip): [number, number, InclusionVector] => [ip.size, ip.leaf_index, ip]))(
    'size %i leaf %i',
    (size, leafIndex, ip) => {
      const leaves = nextRoots(size);
      const built = buildInclusionProof(leaves, leafIndex);
      expect(JSON.stringify(built)).toBe(JSON.stringify(ip.proof));

      const fromNodes = MmrNodeLog.fromNextRoots(leaves).buildInclusionProof(leafIndex, leaves[leafIndex]!);
      expect(JSON.stringify(fromNodes)).toBe(JSON.stringify(ip.proof));

      expect(verifyInclusionProof(ip.proof)).toEqual({ valid: true });
    },
  );
});

/** Our stable reason for each rejected case name (decided from what each case changes; see spec/mmr.md). */
const expectedReason: Record<string, string> = {
  'leaf-hash-not-domain-separated': 'leaf_hash_mismatch',
  'wrong-root': 'root_mismatch',
  'tampered-sibling': 'root_mismatch',
  'flipped-side': 'path_side_mismatch',
  'path-too-short': 'path_length_mismatch',
  'wrong-peak-index': 'peak_height_mismatch',
  'size-changed': 'peak_position_mismatch',
  'leaf-index-out-of-range': 'leaf_index_out_of_range',
  'empty-proof': 'empty_proof',
};

const QUIRK_NOTE = /^REFERENCE QUIRK: verify_inclusion_proof does not check that len\(peaks\) \/ peak heights are consistent with `size`/;

const verificationRows: [string, VerificationCase][] = [];
for (const ip of vectors.inclusion_proofs) {
  for (const c of ip.verification_cases) {
    const quirk = c.note !== undefined;
    const title = quirk
      ? `size ${ip.size} leaf ${ip.leaf_index}: ${c.case} — reference says valid (peak-binding quirk), ours invalid`
      : `size ${ip.size} leaf ${ip.leaf_index}: ${c.case} — ${c.expected_valid ? 'valid' : 'invalid'} like the reference`;
    verificationRows.push([title, c]);
  }
}

describe('verification cases (129)', () => {
  it('are all listed', () => {
    expect(verificationRows).toHaveLength(129);
    // the quirk is the only place we disagree, and it is always a changed size with an unchanged peak list
    const quirks = verificationRows.filter(([, c]) => c.note !== undefined);
    expect(quirks.map(([, c]) => c.case)).toEqual(Array(quirks.length).fill('size-changed'));
    expect(quirks).toHaveLength(7);
  });

  it.each(verificationRows)('%s', (_title, c) => {
    const ours = verifyInclusionProof(c.proof);
    if (c.note !== undefined) {
      // Reference value, beside ours.
      expect(c.expected_valid).toBe(true);
      expect(c.note).toMatch(QUIRK_NOTE);
      expect(ours.valid).toBe(false);
      expect(ours.reason).toBe('peaks_size_mismatch');
      return;
    }
    expect(ours.valid).toBe(c.expected_valid);
    if (c.expected_valid) {
      expect(ours.reason).toBeUndefined();
    } else {
      expect(ours.reason).toBe(expectedReason[c.case]);
    }
  });
});

describe('append vectors', () => {
  it.each(vectors.append_vectors.map((v): [number, number, AppendVector] => [v.base_size, v.append_next_roots.length, v]))(
    'base size %i + %i leaves',
    (_b, _k, v) => {
      const total = v.base_size + v.append_next_roots.length;
      const all = nextRoots(total);
      expect(v.append_next_roots).toEqual(all.slice(v.base_size));
      expect(v.append_next_roots.map(mmrLeafHash)).toEqual(v.append_leaf_hashes);

      // reference append_peaks over leaf hashes
      const appended = appendPeaks(v.base_peaks, v.append_leaf_hashes);
      expect(appended).toEqual(v.expected_peaks);
      expect(bagPeaks(appended)).toBe(v.expected_root);

      // the accumulator resumes from (size, peaks) and hashes next_roots itself
      const acc = MmrAccumulator.fromPeaks(v.base_size, v.base_peaks);
      for (const nr of v.append_next_roots) acc.append(nr);
      expect(acc.size).toBe(total);
      expect(acc.peaks).toEqual(v.expected_peaks);
      expect(acc.root).toBe(v.expected_root);

      expect(mmrRootFromNextRoots(all).root).toBe(v.equals_full_rebuild_root);
      expect(v.equals_full_rebuild_root).toBe(v.expected_root);

      // The reference's checkpoint-bootstrap bug: raw next_roots appended as if they were leaf hashes.
      const quirk = v.reference_quirk_raw_next_root_append;
      const raw = appendPeaks(v.base_peaks, v.append_next_roots);
      expect(raw).toEqual(quirk.peaks);
      expect(bagPeaks(raw)).toBe(quirk.root);
      expect(quirk.root).not.toBe(v.expected_root);
    },
  );
});
