import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { ProtocolError } from '../errors';
import {
  MMR_CONSISTENCY_FAILURES,
  MMR_CONSISTENCY_PROOF_TYPE,
  MMR_INCLUSION_FAILURES,
  MmrAccumulator,
  MmrNodeLog,
  appendPeaks,
  bagPeaks,
  buildConsistencyProof,
  buildConsistencyProofFromNodes,
  buildInclusionProof,
  buildInclusionProofFromNodes,
  buildPeaks,
  mmrFindPeakForLeaf,
  mmrLeafHash,
  mmrLeafPosition,
  mmrNodeCount,
  mmrNodeHash,
  mmrNodePosition,
  mmrPeakHeights,
  mmrPeakPlan,
  planConsistencyProof,
  planInclusionProof,
  verifyConsistencyProof,
  verifyInclusionProof,
  verifyMmrPeaks,
} from './index';
import type { MmrConsistencyProof, MmrInclusionProof, MmrPeak } from './index';

/* Expected values come from the golden vectors (produced by the reference) or are computed by hand in comments. */
const vectors = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../../test/fixtures/vectors/mmr.json'), 'utf8'));
const goldenRoot = (size: number): { size: number; root: string; peaks: MmrPeak[] } => vectors.roots[size - 1];
const goldenProof = (size: number, leafIndex: number): MmrInclusionProof =>
  vectors.inclusion_proofs.find((p: { size: number; leaf_index: number }) => p.size === size && p.leaf_index === leafIndex).proof;
const leafHashVector = (i: number): string => vectors.leaf_hash_vectors[i].leaf_hash;

function receipts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => createHash('sha256').update(`receipt-${i + 1}`).digest('hex'));
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function flip(hexDigest: string): string {
  return (hexDigest[0] === '0' ? '1' : '0') + hexDigest.slice(1);
}

describe('shape arithmetic', () => {
  it('decomposes sizes into peaks (hand-computed)', () => {
    expect(mmrPeakPlan(0)).toEqual([]);
    expect(mmrPeakPlan(11)).toEqual([
      { height: 3, start: 0, leafCount: 8 },
      { height: 1, start: 8, leafCount: 2 },
      { height: 0, start: 10, leafCount: 1 },
    ]);
    expect(mmrPeakHeights(64)).toEqual([6]);
    expect(mmrPeakHeights(2 ** 40 + 2 ** 33 + 5)).toEqual([40, 33, 2, 0]);
    expect(mmrPeakHeights(2 ** 52)).toEqual([52]);
    expect(() => mmrPeakPlan(2 ** 52 + 1)).toThrow(RangeError);
    expect(() => mmrPeakPlan(-1)).toThrow(RangeError);
    expect(() => mmrPeakPlan(1.5)).toThrow(RangeError);
  });

  it('finds the peak of a leaf', () => {
    expect(mmrFindPeakForLeaf(11, 7)).toEqual({ peakIndex: 0, peakStart: 0, peakHeight: 3 });
    expect(mmrFindPeakForLeaf(11, 9)).toEqual({ peakIndex: 1, peakStart: 8, peakHeight: 1 });
    expect(mmrFindPeakForLeaf(11, 10)).toEqual({ peakIndex: 2, peakStart: 10, peakHeight: 0 });
    expect(() => mmrFindPeakForLeaf(11, 11)).toThrow(RangeError);
  });

  it('numbers nodes in post-order', () => {
    // 11 leaves: l0 0, l1 1, [0,2) 2, l2 3, l3 4, [2,4) 5, [0,4) 6, l4 7, l5 8, [4,6) 9, l6 10, l7 11, [6,8) 12,
    // [4,8) 13, [0,8) 14, l8 15, l9 16, [8,10) 17, l10 18
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(mmrLeafPosition)).toEqual([0, 1, 3, 4, 7, 8, 10, 11, 15, 16, 18]);
    expect(mmrNodePosition(1, 0)).toBe(2);
    expect(mmrNodePosition(2, 0)).toBe(6);
    expect(mmrNodePosition(1, 6)).toBe(12);
    expect(mmrNodePosition(3, 0)).toBe(14);
    expect(mmrNodePosition(1, 8)).toBe(17);
    expect(mmrNodeCount(11)).toBe(19);
    expect(mmrNodeCount(0)).toBe(0);
    expect(() => mmrNodePosition(2, 2)).toThrow(RangeError);
    // beyond 32 bits: leaf 2^33 sits at 2^34 - 1; the subtree [0, 2^33) at 2^34 - 2; all 2^52 leaves give 2^53 - 1 nodes
    expect(mmrLeafPosition(2 ** 33)).toBe(2 ** 34 - 1);
    expect(mmrNodePosition(33, 0)).toBe(2 ** 34 - 2);
    expect(mmrNodeCount(2 ** 52)).toBe(2 ** 53 - 1);
  });
});

describe('hashing input', () => {
  it('rejects anything that is not 64 hex digits', () => {
    const good = vectors.leaf_hash_vectors[0].next_root as string;
    for (const bad of [good.slice(1), `${good}0`, `g${good.slice(1)}`, `${good.slice(0, 30)}  ${good.slice(32)}`, '', 42 as unknown as string]) {
      const e = thrown(() => mmrLeafHash(bad));
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe('invalid-digest');
    }
    expect(() => mmrNodeHash(good, 'nothex')).toThrow(ProtocolError);
  });

  it('builds peaks from leaf hashes as in the reference', () => {
    const leaves = [0, 1, 2].map(leafHashVector);
    expect(buildPeaks(leaves)).toEqual(goldenRoot(3).peaks);
    expect(buildPeaks(leaves.map((h) => Buffer.from(h, 'hex')))).toEqual(goldenRoot(3).peaks);
    expect(bagPeaks([])).toBe('');
  });
});

describe('MmrAccumulator', () => {
  it('is empty with root ""', () => {
    const acc = new MmrAccumulator();
    expect(acc.snapshot()).toEqual({ size: 0, root: '', peaks: [] });
    expect(acc.rootBytes).toBeNull();
  });

  it('treats a Uint8Array as a leaf hash and a string as a next_root', () => {
    const a = new MmrAccumulator();
    a.append(Buffer.from(leafHashVector(0), 'hex'));
    a.append(receipts(2)[1]!);
    expect(a.root).toBe(goldenRoot(2).root);
    const b = new MmrAccumulator();
    b.appendLeafHash(leafHashVector(0));
    b.appendNextRoot(receipts(2)[1]!);
    expect(b.snapshot()).toEqual(goldenRoot(2));
    expect(() => a.append(new Uint8Array(31))).toThrow(ProtocolError);
  });

  it('reports every new node with its post-order position and height', () => {
    const seen: [number, string, number][] = [];
    const acc = new MmrAccumulator({ onNode: (pos, hash, height) => seen.push([pos, hash.toString('hex'), height]) });
    for (const nr of receipts(4)) acc.append(nr);
    expect(seen.map(([p, , h]) => [p, h])).toEqual([[0, 0], [1, 0], [2, 1], [3, 0], [4, 0], [5, 1], [6, 2]]);
    expect(seen[0]![1]).toBe(leafHashVector(0));
    expect(seen[2]![1]).toBe(vectors.node_hash_vectors[0].node_hash);
    expect(seen[6]![1]).toBe(goldenRoot(4).root);
    expect(acc.nodeCount).toBe(7);
  });

  it('resumes from stored peaks and refuses peaks that do not match the size', () => {
    const acc = MmrAccumulator.fromPeaks(11, goldenRoot(11).peaks);
    expect(acc.root).toBe(goldenRoot(11).root);
    expect(acc.nodeCount).toBe(19);
    for (const nr of receipts(17).slice(11)) acc.append(nr);
    expect(acc.snapshot()).toEqual(goldenRoot(17));

    for (const [size, peaks] of [
      [12, goldenRoot(11).peaks], // heights [3,1,0] are 11, not 12
      [11, goldenRoot(11).peaks.slice(0, 2)],
      [11, [...goldenRoot(11).peaks].reverse()],
      [11, [{ ...goldenRoot(11).peaks[0]!, hash: 'zz' }, ...goldenRoot(11).peaks.slice(1)]],
    ] as [number, MmrPeak[]][]) {
      const e = thrown(() => MmrAccumulator.fromPeaks(size, peaks));
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).code).toBe('invalid-checkpoint');
    }
    expect(() => MmrAccumulator.fromPeaks(-1, [])).toThrow(RangeError);
  });

  it('clones independently', () => {
    const a = MmrAccumulator.fromPeaks(3, goldenRoot(3).peaks);
    const b = a.clone();
    b.append(receipts(4)[3]!);
    expect(a.snapshot()).toEqual(goldenRoot(3));
    expect(b.snapshot()).toEqual(goldenRoot(4));
  });
});

describe('appendPeaks', () => {
  it('raises when heights end up non-decreasing, like the reference', () => {
    const p = goldenRoot(3).peaks; // heights [1, 0]
    const e = thrown(() => appendPeaks([p[1]!, p[0]!], []));
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).message).toMatch(/non-decreasing heights/);
    expect(appendPeaks(p, [leafHashVector(3)])).toEqual(goldenRoot(4).peaks);
  });
});

describe('verifyMmrPeaks', () => {
  it('accepts golden commitments and the empty one', () => {
    for (const n of [1, 2, 11, 63, 64]) expect(verifyMmrPeaks(goldenRoot(n))).toEqual({ valid: true });
    expect(verifyMmrPeaks({ size: 0, root: '', peaks: [] })).toEqual({ valid: true });
  });

  it('says which check failed', () => {
    const g = goldenRoot(11);
    const cases: [unknown, string][] = [
      [null, 'not_an_object'],
      [{ ...g, size: '11' }, 'size_not_integer'],
      [{ ...g, size: -1 }, 'size_out_of_range'],
      [{ ...g, peaks: {} }, 'peaks_invalid'],
      [{ ...g, size: 12 }, 'peaks_size_mismatch'],
      [{ ...g, root: 'x' }, 'root_not_hex'],
      [{ ...g, root: flip(g.root) }, 'root_mismatch'],
      [{ size: 0, root: g.root, peaks: [] }, 'root_mismatch'],
    ];
    for (const [input, reason] of cases) expect(verifyMmrPeaks(input)).toMatchObject({ valid: false, reason });
  });
});

describe('verifyInclusionProof', () => {
  // size 7 = peaks of heights [2,1,0]; leaf 3 is in peak 0 at local position 3 (binary 11): siblings left, left.
  const base = goldenProof(7, 3);

  function mutated(f: (p: Record<string, any>) => unknown): unknown {
    const p = clone(base) as Record<string, any>;
    const r = f(p);
    return r === undefined ? p : r;
  }

  const failures: [string, unknown][] = [
    ['not_an_object', mutated(() => null)],
    ['empty_proof', {}],
    ['size_not_integer', mutated((p) => void (p.size = '7'))],
    ['leaf_index_not_integer', mutated((p) => void (p.leaf_index = 3.5))],
    ['peak_index_not_integer', mutated((p) => void (p.peak_index = true))],
    ['peak_height_not_integer', mutated((p) => void (p.peak_height = null))],
    ['size_out_of_range', mutated((p) => void (p.size = 0))],
    ['leaf_index_out_of_range', mutated((p) => void (p.leaf_index = -1))],
    ['receipt_next_root_not_hex', mutated((p) => void (p.receipt_next_root = 'xyz'))],
    ['root_not_hex', mutated((p) => void (p.root = 'ab'.repeat(31)))],
    ['leaf_hash_mismatch', mutated((p) => void (p.leaf_hash = p.receipt_next_root))],
    ['peaks_missing', mutated((p) => void (p.peaks = []))],
    ['peak_entry_invalid', mutated((p) => void (p.peaks[1].height = -1))],
    ['peak_index_out_of_range', mutated((p) => void (p.peak_index = 3))],
    ['peak_height_mismatch', mutated((p) => void (p.peak_height = 1))],
    ['peak_position_mismatch', mutated((p) => void ((p.peak_index = 1), (p.peak_height = 1)))],
    ['peaks_size_mismatch', mutated((p) => void p.peaks.pop())],
    ['path_not_list', mutated((p) => void (p.path = {}))],
    ['path_length_mismatch', mutated((p) => void p.path.pop())],
    ['path_step_invalid', mutated((p) => void (p.path[0].side = 'up'))],
    ['path_side_mismatch', mutated((p) => void (p.path[0].side = 'right'))],
    ['root_mismatch', mutated((p) => void (p.peaks[2].hash = flip(p.peaks[2].hash)))],
    ['peak_hash_mismatch', mutated((p) => void (p.peaks[0].hash = flip(p.peaks[0].hash)))],
    ['computed_peak_root_mismatch', mutated((p) => void (p.computed_peak_root = flip(p.computed_peak_root)))],
  ];

  it('the golden base proof is valid', () => {
    expect(base.path.map((s) => s.side)).toEqual(['left', 'left']);
    expect(verifyInclusionProof(base)).toEqual({ valid: true });
  });

  it.each(failures)('%s', (reason, proof) => {
    const r = verifyInclusionProof(proof);
    expect(r.valid).toBe(false);
    expect(r.reason).toBe(reason);
    expect(typeof r.detail).toBe('string');
  });

  it('covers every failure code', () => {
    expect(failures.map(([r]) => r)).toEqual([...MMR_INCLUSION_FAILURES]);
  });

  it('accepts what the reference tolerates: padded/uppercase hex and side, bigint integers, no computed_peak_root', () => {
    const p = mutated((q) => {
      q.size = 7n;
      q.leaf_index = 3n;
      q.peaks[0].hash = `  ${q.peaks[0].hash.toUpperCase()} `;
      q.path[1].side = ' LEFT ';
      q.leaf_hash = q.leaf_hash.toUpperCase();
      delete q.computed_peak_root;
    });
    expect(verifyInclusionProof(p)).toEqual({ valid: true });
  });

  it('is bound to the leaf index, which the reference is not', () => {
    // size 2: proof for leaf 0 relabelled as leaf 1 (same peak, same path length); the reference folds the sides as
    // given and would accept it.
    const p = clone(goldenProof(2, 0)) as MmrInclusionProof;
    p.leaf_index = 1;
    expect(verifyInclusionProof(p)).toMatchObject({ valid: false, reason: 'path_side_mismatch' });
  });
});

describe('inclusion proofs from stored nodes', () => {
  it('plans the positions to read (hand-computed for size 7, leaf 3)', () => {
    const plan = planInclusionProof(7, 3);
    expect(plan.leafPosition).toBe(4);
    expect(plan.path).toEqual([
      { position: 3, height: 0, side: 'left' },
      { position: 2, height: 1, side: 'left' },
    ]);
    expect(plan.peaks).toEqual([
      { position: 6, height: 2 },
      { position: 9, height: 1 },
      { position: 10, height: 0 },
    ]);
    expect(plan.positions).toEqual([4, 3, 2, 6, 9, 10]);
    expect(() => planInclusionProof(0, 0)).toThrow(RangeError);
    expect(() => planInclusionProof(7, 7)).toThrow(RangeError);
  });

  it('reproduces the golden proof from a node map', () => {
    const nodes = new Map<number, string>();
    const acc = new MmrAccumulator({ onNode: (pos, hash) => nodes.set(pos, hash.toString('hex')) });
    const nrs = receipts(16);
    for (const nr of nrs) acc.append(nr);
    expect(buildInclusionProofFromNodes((p) => nodes.get(p), 16, 5, nrs[5]!)).toEqual(goldenProof(16, 5));
    // only the planned positions are needed
    const plan = planInclusionProof(16, 5);
    const subset = new Map(plan.positions.map((p) => [p, nodes.get(p)!]));
    expect(buildInclusionProofFromNodes((p) => subset.get(p), 16, 5, nrs[5]!)).toEqual(goldenProof(16, 5));
  });

  it('refuses a wrong next_root, a missing node and an inconsistent store', () => {
    const nrs = receipts(16);
    const log = MmrNodeLog.fromNextRoots(nrs);
    const e = thrown(() => log.buildInclusionProof(5, nrs[6]!));
    expect(e).toBeInstanceOf(ProtocolError);
    expect((e as ProtocolError).code).toBe('invalid-receipt');
    // leaf 1 needs leaf 0 (position 0), [2,4) (5), [4,8) (13), [8,16) (29)
    expect(() => buildInclusionProofFromNodes((p) => (p === 5 ? undefined : log.getNode(p)), 16, 1, nrs[1]!)).toThrow(/missing/);
    const corrupt = (p: number) => (p === 3 ? Buffer.alloc(32) : log.getNode(p)); // leaf 2 = sibling of leaf 3
    expect(() => buildInclusionProofFromNodes(corrupt, 16, 3, nrs[3]!)).toThrow(/inconsistent/);
    expect(() => buildInclusionProof([], 0)).toThrow(RangeError);
    expect(() => log.buildInclusionProof(0, nrs[0]!, 17)).toThrow(RangeError);
  });

  it('answers for past sizes', () => {
    const nrs = receipts(64);
    const log = MmrNodeLog.fromNextRoots(nrs);
    expect(log.buildInclusionProof(8, nrs[8]!, 9)).toEqual(goldenProof(9, 8));
    expect(log.buildInclusionProof(31, nrs[31]!, 33)).toEqual(goldenProof(33, 31));
    expect(log.snapshotAt(17)).toEqual(goldenRoot(17));
    expect(log.snapshotAt(0)).toEqual({ size: 0, root: '', peaks: [] });
    expect(log.leafHash(2)).toBe(leafHashVector(2));
    expect(log.getNode(-1)).toBeUndefined();
  });
});

describe('consistency proofs', () => {
  const nrs = receipts(16);

  it('5 -> 11 is exactly what the golden vectors imply', () => {
    // appended leaves [5, 11) split into aligned blocks [5,6) h0, [6,8) h1, [8,10) h1, [10,11) h0
    const proof = buildConsistencyProof(nrs.slice(0, 11), 5);
    expect(proof).toEqual({
      type: 'CorridorMmrConsistencyProof',
      old_size: 5,
      new_size: 11,
      old_root: goldenRoot(5).root,
      new_root: goldenRoot(11).root,
      old_peaks: goldenRoot(5).peaks,
      path: [
        { height: 0, hash: leafHashVector(5) },
        { height: 1, hash: goldenProof(16, 5).path[1]!.hash }, // the right sibling [6,8) of leaf 5's pair
        { height: 1, hash: goldenRoot(10).peaks[1]!.hash },
        { height: 0, hash: goldenRoot(11).peaks[2]!.hash },
      ],
    });
    expect(verifyConsistencyProof(proof, { oldSize: 5, oldRoot: goldenRoot(5).root, newSize: 11, newRoot: goldenRoot(11).root })).toEqual({
      valid: true,
    });
  });

  it('plans the positions to read (hand-computed for 5 -> 11)', () => {
    const plan = planConsistencyProof(5, 11);
    expect(plan.oldPeaks.map((p) => p.position)).toEqual([6, 7]);
    expect(plan.path.map((p) => [p.position, p.height])).toEqual([[8, 0], [12, 1], [17, 1], [18, 0]]);
    expect(plan.newPeaks.map((p) => p.position)).toEqual([14, 17, 18]);
    expect(plan.positions).toEqual([6, 7, 8, 12, 17, 18, 14]);
    // beyond 32 bits: 2^33 + 1 -> 2^34 needs blocks of heights 0, 1, ..., 32
    expect(planConsistencyProof(2 ** 33 + 1, 2 ** 34).path.map((p) => p.height)).toEqual(Array.from({ length: 33 }, (_, i) => i));
  });

  it('the appended blocks always merge into the decomposition of the new size (all 1 <= m <= n <= 256)', () => {
    const bits = (n: number) => Array.from({ length: 12 }, (_, i) => 11 - i).filter((h) => n & (1 << h));
    const violations: string[] = [];
    for (let n = 1; n <= 256; n++) {
      for (let m = 1; m <= n; m++) {
        const plan = planConsistencyProof(m, n);
        const stack = plan.oldPeaks.map((p) => p.height);
        let covered = m;
        for (const b of plan.path) {
          if (b.start !== covered || b.start % 2 ** b.height !== 0) violations.push(`${m}->${n}: block at ${b.start}`);
          covered += 2 ** b.height;
          let h = b.height;
          while (stack.length > 0 && stack[stack.length - 1] === h) {
            stack.pop();
            h += 1;
          }
          stack.push(h);
        }
        if (covered !== n) violations.push(`${m}->${n}: covers up to ${covered}`);
        if (stack.join() !== bits(n).join()) violations.push(`${m}->${n}: peaks ${stack.join()}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('m == n is a valid trivial proof; m = 0 is refused', () => {
    const same = buildConsistencyProof(nrs.slice(0, 11), 11);
    expect(same.path).toEqual([]);
    expect(same.old_root).toBe(goldenRoot(11).root);
    expect(same.new_root).toBe(goldenRoot(11).root);
    expect(verifyConsistencyProof(same)).toEqual({ valid: true });

    expect(() => buildConsistencyProof(nrs, 0)).toThrow(RangeError);
    expect(() => buildConsistencyProof(nrs, 17)).toThrow(RangeError);
    expect(() => buildConsistencyProof([], 0)).toThrow(RangeError);
    expect(() => buildConsistencyProof([nrs[0]!, Buffer.alloc(32)] as unknown as string[], 1)).toThrow(TypeError);
    const empty = { type: MMR_CONSISTENCY_PROOF_TYPE, old_size: 0, new_size: 3, old_root: '', new_root: goldenRoot(3).root, old_peaks: [], path: [] };
    expect(verifyConsistencyProof(empty)).toMatchObject({ valid: false, reason: 'old_size_out_of_range' });
  });

  it('refuses an inconsistent node store', () => {
    const log = MmrNodeLog.fromNextRoots(nrs);
    // position 12 = the [6,8) node of the path; corrupting it breaks the derivation of the stored new peaks
    const corrupt = (p: number) => (p === 12 ? Buffer.alloc(32) : log.getNode(p));
    expect(() => buildConsistencyProofFromNodes(corrupt, 5, 11)).toThrow(/inconsistent/);
    expect(() => buildConsistencyProofFromNodes((p) => (p === 7 ? null : log.getNode(p)), 5, 11)).toThrow(/missing/);
    expect(() => log.buildConsistencyProof(5, 17)).toThrow(RangeError);
  });

  describe('says which check failed', () => {
    const base: MmrConsistencyProof = buildConsistencyProof(nrs.slice(0, 11), 5);
    const m = (f: (p: Record<string, any>) => void): Record<string, any> => {
      const p = clone(base) as Record<string, any>;
      f(p);
      return p;
    };
    const other = goldenRoot(12).root;
    const failures: [string, unknown, Parameters<typeof verifyConsistencyProof>[1]][] = [
      ['not_an_object', [], {}],
      ['wrong_type', m((p) => (p.type = 'MSEZReceiptMMR')), {}],
      ['old_size_not_integer', m((p) => (p.old_size = '5')), {}],
      ['new_size_not_integer', m((p) => (p.new_size = 11.5)), {}],
      ['old_size_out_of_range', m((p) => (p.old_size = 0)), {}],
      ['new_size_out_of_range', m((p) => (p.new_size = 2 ** 52 + 1)), {}],
      ['new_size_less_than_old_size', m((p) => (p.new_size = 4)), {}],
      ['old_root_not_hex', m((p) => (p.old_root = '')), {}],
      ['new_root_not_hex', m((p) => (p.new_root = null)), {}],
      ['trusted_old_size_mismatch', base, { oldSize: 4 }],
      ['trusted_old_root_mismatch', base, { oldRoot: other }],
      ['trusted_new_size_mismatch', base, { newSize: 12 }],
      ['trusted_new_root_mismatch', base, { newRoot: other }],
      ['old_peaks_invalid', m((p) => (p.old_peaks = 'x')), {}],
      ['old_peaks_size_mismatch', m((p) => p.old_peaks.pop()), {}],
      ['old_root_mismatch', m((p) => (p.old_root = p.new_root)), {}],
      ['path_not_list', m((p) => (p.path = null)), {}],
      ['path_length_mismatch', m((p) => p.path.pop()), {}],
      ['path_entry_invalid', m((p) => (p.path[0] = 'x')), {}],
      ['path_height_mismatch', m((p) => (p.path[0].height = 1)), {}],
      ['new_root_mismatch', m((p) => (p.path[3].hash = flip(p.path[3].hash))), {}],
    ];

    it('base is valid, also against matching trusted values (case-insensitive roots)', () => {
      expect(
        verifyConsistencyProof(base, { oldSize: 5, oldRoot: base.old_root.toUpperCase(), newSize: 11, newRoot: base.new_root }),
      ).toEqual({ valid: true });
    });

    it.each(failures)('%s', (reason, proof, trusted) => {
      const r = verifyConsistencyProof(proof, trusted);
      expect(r.valid).toBe(false);
      expect(r.reason).toBe(reason);
      expect(typeof r.detail).toBe('string');
    });

    it('covers every failure code', () => {
      expect(failures.map(([r]) => r)).toEqual([...MMR_CONSISTENCY_FAILURES]);
    });
  });
});
