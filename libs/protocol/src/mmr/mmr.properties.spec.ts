import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha256';
import {
  MmrAccumulator,
  MmrNodeLog,
  buildConsistencyProof,
  buildInclusionProof,
  mmrNodeCount,
  mmrNodePosition,
  mmrRootFromNextRoots,
  verifyConsistencyProof,
  verifyInclusionProof,
} from './index';
import type { MmrConsistencyProof, MmrInclusionProof, MmrPeak } from './index';

/*
 * Oracle: a second, independent MMR written here from the rules (noble's pure-JS SHA-256, recursive perfect trees
 * over the set bits of the size, bagging right to left). It shares no code with the implementation under test and
 * is itself checked against the golden vectors below.
 */
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

function oLeaf(nextRootHex: string): Uint8Array {
  const m = new Uint8Array(33);
  m[0] = 0x00;
  m.set(unhex(nextRootHex), 1);
  return sha256(m);
}

function oNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  const m = new Uint8Array(65);
  m[0] = 0x01;
  m.set(left, 1);
  m.set(right, 33);
  return sha256(m);
}

function oTree(leaves: readonly Uint8Array[], start: number, count: number): Uint8Array {
  if (count === 1) return leaves[start]!;
  const half = count / 2;
  return oNode(oTree(leaves, start, half), oTree(leaves, start + half, half));
}

function oPeaks(leaves: readonly Uint8Array[]): MmrPeak[] {
  const out: MmrPeak[] = [];
  let start = 0;
  for (let h = 30; h >= 0; h--) {
    if (leaves.length & (1 << h)) {
      out.push({ height: h, hash: hex(oTree(leaves, start, 1 << h)) });
      start += 1 << h;
    }
  }
  return out;
}

function oRoot(leaves: readonly Uint8Array[]): string {
  const peaks = oPeaks(leaves);
  if (peaks.length === 0) return '';
  let bag = unhex(peaks[peaks.length - 1]!.hash);
  for (let i = peaks.length - 2; i >= 0; i--) bag = oNode(unhex(peaks[i]!.hash), bag);
  return hex(bag);
}

/**
 * Independent check of an inclusion proof: fold the path with the oracle and compare with the oracle's peak for that
 * leaf (found from the bits of the size, not from the proof's peak_index).
 */
function oFoldsToPeak(proof: MmrInclusionProof, size: number, peaks: readonly MmrPeak[]): boolean {
  let cur = oLeaf(proof.receipt_next_root);
  for (const step of proof.path) cur = step.side === 'left' ? oNode(unhex(step.hash), cur) : oNode(cur, unhex(step.hash));
  let start = 0;
  let k = 0;
  for (let h = 30; h >= 0; h--) {
    if (size & (1 << h)) {
      if (proof.leaf_index < start + (1 << h)) return hex(cur) === peaks[k]!.hash;
      start += 1 << h;
      k += 1;
    }
  }
  return false;
}

/** Test input: pseudo-random receipt next_roots. */
function nextRootsFor(seed: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(createHash('sha256').update(`mmr-property:${seed}:${i}`).digest('hex'));
  return out;
}

function flipByte(hexDigest: string, byte: number, mask: number): string {
  const b = Buffer.from(hexDigest, 'hex');
  b[byte] = b[byte]! ^ mask;
  return b.toString('hex');
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('oracle (noble sha256) against the golden vectors', () => {
  const vectors = JSON.parse(
    fs.readFileSync(path.join(__dirname, '../../../../test/fixtures/vectors/mmr.json'), 'utf8'),
  );
  it('reproduces every golden root n=1..64 and its peaks', () => {
    const nrs: string[] = [];
    for (let i = 1; i <= 64; i++) nrs.push(createHash('sha256').update(`receipt-${i}`).digest('hex'));
    for (const r of vectors.roots as { size: number; root: string; peaks: MmrPeak[] }[]) {
      const leaves = nrs.slice(0, r.size).map(oLeaf);
      expect(oRoot(leaves)).toBe(r.root);
      expect(oPeaks(leaves)).toEqual(r.peaks);
    }
  });
});

describe('roots and accumulator', () => {
  it('a few roots agree with the independent implementation', () => {
    for (const n of [0, 1, 2, 3, 7, 8, 100, 255, 256, 257, 1000]) {
      const nrs = nextRootsFor(n, n);
      const got = mmrRootFromNextRoots(nrs);
      const leaves = nrs.map(oLeaf);
      expect(got.size).toBe(n);
      expect(got.root).toBe(oRoot(leaves));
      expect(got.peaks).toEqual(oPeaks(leaves));
    }
  });

  it('mmrRootFromNextRoots equals the oracle for random sizes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer(), (n, seed) => {
        const nrs = nextRootsFor(seed, n);
        const leaves = nrs.map(oLeaf);
        expect(mmrRootFromNextRoots(nrs)).toEqual({ size: n, root: oRoot(leaves), peaks: oPeaks(leaves) });
      }),
      { numRuns: 60 },
    );
  });

  it('accumulator equals recomputation from scratch, also after resuming from stored peaks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 300 }),
        fc.integer(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.boolean(), { minLength: 300, maxLength: 300 }),
        (n, seed, cutFraction, asLeafBytes) => {
          const nrs = nextRootsFor(seed, n);
          const leaves = nrs.map(oLeaf);
          const k = Math.floor(cutFraction * n);
          const acc = new MmrAccumulator();
          // both input conventions: hex next_root, or the 32-byte leaf hash
          const feed = (a: MmrAccumulator, i: number) => (asLeafBytes[i] ? a.append(leaves[i]!) : a.append(nrs[i]!));
          for (let i = 0; i < k; i++) expect(feed(acc, i)).toBe(i);
          expect(acc.size).toBe(k);
          expect(acc.root).toBe(oRoot(leaves.slice(0, k)));
          const storedPeaks = oPeaks(leaves.slice(0, k));
          expect(acc.peaks).toEqual(storedPeaks);

          const resumed = MmrAccumulator.fromPeaks(k, storedPeaks);
          for (let i = k; i < n; i++) {
            feed(acc, i);
            feed(resumed, i);
          }
          const want = { size: n, root: oRoot(leaves), peaks: oPeaks(leaves) };
          expect(acc.snapshot()).toEqual(want);
          expect(resumed.snapshot()).toEqual(want);
          expect(resumed.nodeCount).toBe(2 * n - n.toString(2).split('').filter((c) => c === '1').length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('node log stores every subtree root at its post-order position', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), fc.nat(), fc.nat(), (n, seed, hPick, aPick) => {
        const nrs = nextRootsFor(seed, n);
        const leaves = nrs.map(oLeaf);
        const log = MmrNodeLog.fromNextRoots(nrs);
        const maxH = Math.floor(Math.log2(n));
        const h = hPick % (maxH + 1);
        const span = 2 ** h;
        const blocks = Math.floor(n / span);
        const a = (aPick % blocks) * span;
        expect(hex(log.getNode(mmrNodePosition(h, a))!)).toBe(hex(oTree(leaves, a, span)));
        expect(log.nodeCount).toBe(mmrNodeCount(n));
        expect(log.getNode(log.nodeCount)).toBeUndefined();
        const k = 1 + (aPick % n);
        expect(log.snapshotAt(k)).toEqual({ size: k, root: oRoot(leaves.slice(0, k)), peaks: oPeaks(leaves.slice(0, k)) });
      }),
      { numRuns: 80 },
    );
  });
});

describe('inclusion proofs', () => {
  it('every proof of every leaf verifies, and folds to the oracle peak under the oracle root', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), fc.nat(), (n, seed, pick) => {
        const nrs = nextRootsFor(seed, n);
        const leaves = nrs.map(oLeaf);
        const root = oRoot(leaves);
        const peaks = oPeaks(leaves);
        const log = MmrNodeLog.fromNextRoots(nrs);
        for (let i = 0; i < n; i++) {
          const proof = log.buildInclusionProof(i, nrs[i]!);
          expect(proof.root).toBe(root);
          expect(proof.peaks).toEqual(peaks);
          expect(proof.leaf_hash).toBe(hex(leaves[i]!));
          expect(oFoldsToPeak(proof, n, peaks)).toBe(true);
          expect(verifyInclusionProof(proof)).toEqual({ valid: true });
        }
        // the list-based builder (reference algorithm) gives the same object
        const i = pick % n;
        expect(buildInclusionProof(nrs, i)).toEqual(log.buildInclusionProof(i, nrs[i]!));
      }),
      { numRuns: 40 },
    );
  });

  it('changing any byte of any hash, the index, the size or any other field makes it fail', () => {
    type Mutation =
      | { kind: 'hash'; pick: number; byte: number; mask: number }
      | { kind: 'leaf_index'; value: number }
      | { kind: 'size'; value: number }
      | { kind: 'peak_index'; value: number }
      | { kind: 'peak_height'; value: number }
      | { kind: 'side'; pick: number }
      | { kind: 'drop_peak'; pick: number }
      | { kind: 'extra_peak'; byte: number };
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.record({ kind: fc.constant('hash' as const), pick: fc.nat(), byte: fc.integer({ min: 0, max: 31 }), mask: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('leaf_index' as const), value: fc.integer({ min: -2, max: 700 }) }),
      fc.record({ kind: fc.constant('size' as const), value: fc.integer({ min: -1, max: 700 }) }),
      fc.record({ kind: fc.constant('peak_index' as const), value: fc.integer({ min: -1, max: 10 }) }),
      fc.record({ kind: fc.constant('peak_height' as const), value: fc.integer({ min: -1, max: 10 }) }),
      fc.record({ kind: fc.constant('side' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('drop_peak' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('extra_peak' as const), byte: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), fc.nat(), mutation, (n, seed, leafPick, m) => {
        const nrs = nextRootsFor(seed, n);
        const i = leafPick % n;
        const good = buildInclusionProof(nrs, i);
        const bad = clone(good) as unknown as Record<string, unknown> & MmrInclusionProof;
        switch (m.kind) {
          case 'hash': {
            // every hash-valued field of the proof
            const slots: [() => string, (v: string) => void][] = [
              [() => bad.root, (v) => (bad.root = v)],
              [() => bad.receipt_next_root, (v) => (bad.receipt_next_root = v)],
              [() => bad.leaf_hash, (v) => (bad.leaf_hash = v)],
              [() => bad.computed_peak_root, (v) => (bad.computed_peak_root = v)],
              ...bad.path.map((s): [() => string, (v: string) => void] => [() => s.hash, (v) => (s.hash = v)]),
              ...bad.peaks.map((p): [() => string, (v: string) => void] => [() => p.hash, (v) => (p.hash = v)]),
            ];
            const [get, set] = slots[m.pick % slots.length]!;
            set(flipByte(get(), m.byte, m.mask));
            break;
          }
          case 'leaf_index':
            fc.pre(m.value !== i);
            bad.leaf_index = m.value;
            break;
          case 'size':
            fc.pre(m.value !== n);
            bad.size = m.value;
            break;
          case 'peak_index':
            fc.pre(m.value !== good.peak_index);
            bad.peak_index = m.value;
            break;
          case 'peak_height':
            fc.pre(m.value !== good.peak_height);
            bad.peak_height = m.value;
            break;
          case 'side': {
            fc.pre(bad.path.length > 0);
            const s = bad.path[m.pick % bad.path.length]!;
            s.side = s.side === 'left' ? 'right' : 'left';
            break;
          }
          case 'drop_peak':
            bad.peaks.splice(m.pick % bad.peaks.length, 1);
            break;
          case 'extra_peak':
            bad.peaks.push({ height: 0, hash: Buffer.alloc(32, m.byte).toString('hex') });
            break;
        }
        expect(verifyInclusionProof(good).valid).toBe(true);
        const result = verifyInclusionProof(bad);
        expect(result.valid).toBe(false);
        expect(typeof result.reason).toBe('string');
      }),
      { numRuns: 400 },
    );
  });
});

describe('consistency proofs', () => {
  it('verify for every 1 <= m <= n, with roots equal to the oracle', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), fc.nat(), (n, seed, pick) => {
        const nrs = nextRootsFor(seed, n);
        const leaves = nrs.map(oLeaf);
        const log = MmrNodeLog.fromNextRoots(nrs);
        const newRoot = oRoot(leaves);
        for (let m = 1; m <= n; m++) {
          const proof = log.buildConsistencyProof(m);
          expect(proof.new_root).toBe(newRoot);
          expect(verifyConsistencyProof(proof, { oldSize: m, newSize: n, newRoot })).toEqual({ valid: true });
          expect(proof.path.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(n + 1)));
          if (m === n) expect(proof.path).toEqual([]);
        }
        // a sample old size against the oracle, and the list-based builder
        const m = 1 + (pick % n);
        const oldLeaves = leaves.slice(0, m);
        const proof = buildConsistencyProof(nrs, m);
        expect(proof.old_root).toBe(oRoot(oldLeaves));
        expect(proof.old_peaks).toEqual(oPeaks(oldLeaves));
        expect(verifyConsistencyProof(proof, { oldSize: m, oldRoot: oRoot(oldLeaves), newSize: n, newRoot })).toEqual({ valid: true });
        expect(buildConsistencyProof(leaves, m)).toEqual(proof);
        expect(log.buildConsistencyProof(m)).toEqual(proof);
      }),
      { numRuns: 25 },
    );
  });

  it('an old root, old peak, path node, new root, size or height that was changed makes it fail', () => {
    type Mutation =
      | { kind: 'old_root' | 'new_root'; byte: number; mask: number }
      | { kind: 'old_peak' | 'path_node'; pick: number; byte: number; mask: number }
      | { kind: 'old_size' | 'new_size'; value: number }
      | { kind: 'path_height'; pick: number; delta: number }
      | { kind: 'drop_path' | 'dup_path'; pick: number };
    const hashMut = (kind: 'old_root' | 'new_root') =>
      fc.record({ kind: fc.constant(kind), byte: fc.integer({ min: 0, max: 31 }), mask: fc.integer({ min: 1, max: 255 }) });
    const listMut = (kind: 'old_peak' | 'path_node') =>
      fc.record({ kind: fc.constant(kind), pick: fc.nat(), byte: fc.integer({ min: 0, max: 31 }), mask: fc.integer({ min: 1, max: 255 }) });
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      hashMut('old_root'),
      hashMut('new_root'),
      listMut('old_peak'),
      listMut('path_node'),
      fc.record({ kind: fc.constant('old_size' as const), value: fc.integer({ min: -1, max: 400 }) }),
      fc.record({ kind: fc.constant('new_size' as const), value: fc.integer({ min: -1, max: 400 }) }),
      fc.record({ kind: fc.constant('path_height' as const), pick: fc.nat(), delta: fc.integer({ min: -3, max: 3 }) }),
      fc.record({ kind: fc.constant('drop_path' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('dup_path' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer(), fc.nat(), mutation, (n, seed, mPick, mu) => {
        const nrs = nextRootsFor(seed, n);
        const m = 1 + (mPick % n);
        const good = buildConsistencyProof(nrs, m);
        const bad = clone(good) as MmrConsistencyProof;
        switch (mu.kind) {
          case 'old_root':
            bad.old_root = flipByte(bad.old_root, mu.byte, mu.mask);
            break;
          case 'new_root':
            bad.new_root = flipByte(bad.new_root, mu.byte, mu.mask);
            break;
          case 'old_peak': {
            const p = bad.old_peaks[mu.pick % bad.old_peaks.length]!;
            p.hash = flipByte(p.hash, mu.byte, mu.mask);
            break;
          }
          case 'path_node': {
            fc.pre(bad.path.length > 0);
            const e = bad.path[mu.pick % bad.path.length]!;
            e.hash = flipByte(e.hash, mu.byte, mu.mask);
            break;
          }
          case 'old_size':
            fc.pre(mu.value !== m);
            bad.old_size = mu.value;
            break;
          case 'new_size':
            fc.pre(mu.value !== n);
            bad.new_size = mu.value;
            break;
          case 'path_height': {
            fc.pre(bad.path.length > 0 && mu.delta !== 0);
            const e = bad.path[mu.pick % bad.path.length]!;
            e.height += mu.delta;
            break;
          }
          case 'drop_path':
            fc.pre(bad.path.length > 0);
            bad.path.splice(mu.pick % bad.path.length, 1);
            break;
          case 'dup_path': {
            fc.pre(bad.path.length > 0);
            const k = mu.pick % bad.path.length;
            bad.path.splice(k, 0, { ...bad.path[k]! });
            break;
          }
        }
        expect(verifyConsistencyProof(good).valid).toBe(true);
        const result = verifyConsistencyProof(bad);
        expect(result.valid).toBe(false);
        expect(typeof result.reason).toBe('string');
      }),
      { numRuns: 400 },
    );
  });

  it('cannot prove that a history with one rewritten old leaf extends the original', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 200 }), fc.integer(), fc.nat(), fc.nat(), (n, seed, mPick, jPick) => {
        const honest = nextRootsFor(seed, n);
        const m = 1 + (mPick % (n - 1));
        const j = jPick % m; // a leaf the old checkpoint already covers
        const rewritten = [...honest];
        rewritten[j] = createHash('sha256').update(`rewritten:${seed}:${j}`).digest('hex');
        const oldCheckpoint = mmrRootFromNextRoots(honest.slice(0, m));
        const forkedHead = mmrRootFromNextRoots(rewritten);

        // The forked log's own proof does not start from the old checkpoint...
        const forkProof = buildConsistencyProof(rewritten, m);
        expect(
          verifyConsistencyProof(forkProof, { oldSize: m, oldRoot: oldCheckpoint.root, newSize: n, newRoot: forkedHead.root }),
        ).toMatchObject({ valid: false, reason: 'trusted_old_root_mismatch' });
        // ...and splicing in the honest old peaks/root does not reach the forked head.
        const spliced = { ...forkProof, old_root: oldCheckpoint.root, old_peaks: oldCheckpoint.peaks };
        expect(
          verifyConsistencyProof(spliced, { oldSize: m, oldRoot: oldCheckpoint.root, newSize: n, newRoot: forkedHead.root }),
        ).toMatchObject({ valid: false, reason: 'new_root_mismatch' });
      }),
      { numRuns: 60 },
    );
  });
});
