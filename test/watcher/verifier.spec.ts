import fc from 'fast-check';
import { addProof, buildConsistencyProof, canonicalize, parseJsonText, sealReceipt, withoutKeys, type JsonObject, type JsonValue } from '@corridor/protocol';
import {
  ChainVerifier,
  parseReceiptText,
  verifyAttestedConsistency,
  verifyCheckpointAgainstHead,
  verifyCheckpointBelowHead,
  verifyStandaloneReceipt,
  type ReceiptOutcome,
} from '../../apps/watcher/src';
import { keyFromSeed, TestChain } from './support/chain';

const A = keyFromSeed('verifier: zone A', 'zone-a');
const B = keyFromSeed('verifier: zone B', 'zone-b');
const OUTSIDER = keyFromSeed('verifier: outsider');

/** Verifies texts in order; returns the first failure (with its index) or null. */
function verifyAll(chain: TestChain, texts: readonly string[]): { index: number; outcome: Extract<ReceiptOutcome, { ok: false }> } | null {
  const v = new ChainVerifier(chain.facts(), chain.policy);
  for (let i = 0; i < texts.length; i++) {
    const outcome = v.append(texts[i]);
    if (!outcome.ok) return { index: i, outcome };
  }
  return null;
}

/** A receipt edited and re-sealed (next_root recomputed) but carrying the old proofs. */
function resealed(receipt: JsonObject, edit: (r: JsonObject) => void): string {
  const body = withoutKeys(clone(receipt), 'proof', 'next_root') as JsonObject;
  edit(body);
  return canonicalize({ ...sealReceipt(body), proof: receipt.proof });
}

/** A receipt edited, re-sealed and signed again by `keys`. */
function resigned(receipt: JsonObject, keys: typeof A[], edit: (r: JsonObject) => void = () => {}): string {
  const body = withoutKeys(clone(receipt), 'proof', 'next_root') as JsonObject;
  edit(body);
  let signed: JsonObject = sealReceipt(body);
  for (const k of keys) signed = addProof(signed, k, { created: '2026-01-01T00:00:00Z' });
  return canonicalize(signed);
}

describe('ChainVerifier: a good chain', () => {
  it('verifies a lone chain receipt by receipt, pins genesis and digest sets, and builds the MMR', () => {
    const chain = new TestChain({ corridorId: 'org.example.lone' }).extend(37);
    const facts = chain.facts();
    const v = new ChainVerifier(facts, chain.policy);
    for (const t of chain.texts) expect(v.append(t)).toMatchObject({ ok: true });
    expect(facts).toEqual({ corridorId: 'org.example.lone', genesisRoot: chain.genesisRoot, lawpackDigestSet: canonicalize(chain.lawpack), rulesetDigestSet: canonicalize(chain.ruleset) });
    expect(v.head()).toEqual({ sequence: 36, nextRoot: chain.head, mmrSize: 37, mmrRoot: chain.mmr.root, mmrPeaks: chain.mmr.peaks });
  });

  it('verifies a peered chain: sequencer first, every co-signature checked, signers reported', () => {
    const chain = new TestChain({ corridorId: 'org.example.peered', signers: [A, B] }).extend(5);
    const v = new ChainVerifier(chain.facts(), chain.policy);
    const out = v.append(chain.texts[0]);
    expect(out).toMatchObject({ ok: true, receipt: { sequence: 0, prevRoot: chain.genesisRoot, signers: [A.did, B.did], canonical: chain.texts[0] } });
    for (const t of chain.texts.slice(1)) expect(v.append(t).ok).toBe(true);
    // A receipt carrying the sequencer's proof only (not co-signed yet) is genuine too.
    const more = chain.build({}, { signers: [A] });
    expect(v.append(canonicalize(more))).toMatchObject({ ok: true, receipt: { signers: [A.did] } });
  });

  it('resumes from a stored head exactly where it stopped', () => {
    const chain = new TestChain().extend(20);
    const first = new ChainVerifier(chain.facts(), chain.policy);
    for (const t of chain.texts.slice(0, 13)) first.append(t);
    const resumed = new ChainVerifier(first.facts, chain.policy, JSON.parse(JSON.stringify(first.head())));
    for (const t of chain.texts.slice(13)) expect(resumed.append(t).ok).toBe(true);
    expect(resumed.mmrRoot).toBe(chain.mmr.root);
  });

  it('accepts non-canonical text (pretty-printed) through the strict parser, and refuses floats and lossy integers', () => {
    const chain = new TestChain().extend(2);
    const v = new ChainVerifier(chain.facts(), chain.policy);
    expect(v.append(JSON.stringify(chain.receipts[0], null, 2)).ok).toBe(true);
    const withFloat = chain.texts[1].replace('"sequence":1', '"sequence":1.0');
    expect(v.append(withFloat)).toMatchObject({ ok: false, check: 'malformed', detail: expect.stringContaining('Floats are not allowed') });
    expect(parseReceiptText('{"a":9007199254740993}')).toMatchObject({ full: '{"a":9007199254740993}' });
    expect(parseReceiptText('{"a":1,"a":2}')).toMatchObject({ full: '{"a":2}' });
  });
});

describe('ChainVerifier: each tamper has its precise reason', () => {
  const chain = new TestChain({ corridorId: 'org.example.tamper', signers: [A, B] }).extend(6);
  const r3 = chain.receipts[3];
  const at3 = (text: string) => verifyAll(chain, [...chain.texts.slice(0, 3), text]);

  it.each<[string, () => string, string, RegExp]>([
    ['a flipped signature byte', () => canonicalize({ ...r3, proof: [{ ...(r3.proof as JsonObject[])[0], jws: flip((r3.proof as JsonObject[])[0].jws as string) }, (r3.proof as JsonObject[])[1]] }), 'bad-signature', /receipt 3: proof 0 \(by did:key:\S+\) does not verify/],
    ['a co-signature that does not verify', () => canonicalize({ ...r3, proof: [(r3.proof as JsonObject[])[0], { ...(r3.proof as JsonObject[])[1], jws: (r3.proof as JsonObject[])[0].jws }] }), 'bad-signature', /proof 1/],
    ['the payload changed, next_root kept', () => canonicalize({ ...r3, transition: { ...(r3.transition as JsonObject), payload: { invoice: 'INV-FORGED' } } }), 'bad-next-root', /receipt 3: next_root \w+ does not recompute/],
    ['the payload changed and resealed, old proofs', () => resealed(r3, (b) => ((b.transition as JsonObject).kind = 'trade.invoice.cancelled.v1')), 'bad-signature', /does not verify/],
    ['a broken prev_root (resealed, re-signed by the real signers)', () => resigned(r3, [A, B], (b) => (b.prev_root = 'ab'.repeat(32))), 'prev-root-mismatch', /receipt 3: prev_root abab\S+ does not continue receipt 2/],
    ['a gap (receipt 4 after receipt 2)', () => chain.texts[4], 'gap', /receipt 4 arrived when receipt 3 was expected/],
    ['a replayed receipt', () => chain.texts[1], 'rewind', /receipt 1 arrived again after receipt 2/],
    ['a wrong next_root', () => canonicalize({ ...r3, next_root: 'cd'.repeat(32) }), 'bad-next-root', /next_root cdcd\S+ does not recompute/],
    ['no proof', () => canonicalize(withoutKeys(r3, 'proof')), 'no-proof', /receipt 3 carries no proof/],
    ['signed first by the co-signer', () => canonicalize({ ...r3, proof: [...(r3.proof as JsonObject[])].reverse() }), 'not-sequencer', /signed first by did:key:\S+, not by the sequencer/],
    ['an outsider co-signature', () => canonicalize(addProof(r3, OUTSIDER, { created: '2026-01-01T00:00:00Z' })), 'unknown-signer', /proof 2 is by did:key:\S+, not a signer/],
    ['another corridor', () => resigned(r3, [A, B], (b) => (b.corridor_id = 'org.example.other')), 'wrong-corridor', /names corridor "org.example.other"/],
    ['another digest set', () => resigned(r3, [A, B], (b) => (b.ruleset_digest_set = ['ef'.repeat(32)])), 'digest-set-mismatch', /ruleset_digest_set is not the corridor's/],
    ['another receipt type', () => resigned(r3, [A, B], (b) => (b.type = 'MSEZDisputeReceipt')), 'wrong-type', /type "MSEZDisputeReceipt"/],
    ['a malformed proof', () => canonicalize({ ...r3, proof: [{ ...(r3.proof as JsonObject[])[0], proofPurpose: 'authentication' }] }), 'bad-proof', /proofPurpose "authentication"/],
    ['not JSON', () => chain.texts[3].slice(0, -1), 'malformed', /not usable JSON/],
  ])('%s', (_name, tamper, check, detail) => {
    const failure = at3(tamper());
    expect(failure).toMatchObject({ index: 3, outcome: { check } });
    expect(failure!.outcome.detail).toMatch(detail);
  });

  it('a receipt 0 from another genesis, once the corridor pinned its genesis', () => {
    const facts = chain.facts();
    new ChainVerifier(facts, chain.policy).append(chain.texts[0]);
    const other = new TestChain({ corridorId: chain.corridorId, signers: [A, B], seed: 'another instance' }).extend(1);
    expect(new ChainVerifier(facts, chain.policy).append(other.texts[0])).toMatchObject({ ok: false, check: 'genesis-mismatch', detail: expect.stringMatching(/^receipt 0 starts from \w+, not from the corridor's genesis root/) });
  });

  it('a failed verification changes nothing: the right receipt still follows', () => {
    const v = new ChainVerifier(chain.facts(), chain.policy);
    for (const t of chain.texts.slice(0, 3)) v.append(t);
    const before = v.head();
    expect(v.append(canonicalize({ ...r3, next_root: '00'.repeat(32) })).ok).toBe(false);
    expect(v.head()).toEqual(before);
    expect(v.append(chain.texts[3]).ok).toBe(true);
  });

  it('standalone verification (a replayed or investigated receipt) checks everything but the position', () => {
    const facts = chain.facts();
    const v = new ChainVerifier(facts, chain.policy);
    for (const t of chain.texts) v.append(t);
    expect(verifyStandaloneReceipt(chain.texts[2], facts, chain.policy)).toMatchObject({ ok: true, receipt: { sequence: 2 } });
    expect(verifyStandaloneReceipt(canonicalize({ ...r3, next_root: '00'.repeat(32) }), facts, chain.policy)).toMatchObject({ ok: false, check: 'bad-next-root' });
  });
});

describe('checkpoints and consistency', () => {
  const chain = new TestChain({ corridorId: 'org.example.ck', signers: [A, B] }).extend(11);
  const facts = chain.facts();
  const v = new ChainVerifier(facts, chain.policy);
  for (const t of chain.texts) v.append(t);
  const own = { size: 11, finalStateRoot: chain.head, mmrRoot: chain.mmr.root, mmrPeaks: chain.mmr.peaks };

  it('a checkpoint of the verified head passes, with its digest and signers', () => {
    expect(verifyCheckpointAgainstHead(chain.checkpoint(), facts, chain.policy, own)).toMatchObject({ ok: true, size: 11, mmrRoot: chain.mmr.root, signers: [A.did, B.did] });
    expect(verifyCheckpointAgainstHead(chain.checkpoint(11, [A]), facts, chain.policy, own).ok).toBe(true);
  });

  it.each<[string, (ck: JsonObject) => JsonObject, string]>([
    ['another final_state_root', (ck) => ({ ...ck, final_state_root: 'aa'.repeat(32) }), 'bad-signature'],
    ['unsigned', (ck) => withoutKeys(ck, 'proof') as JsonObject, 'malformed'],
    ['signed by an outsider', (ck) => addProof(withoutKeys(ck, 'proof') as JsonObject, OUTSIDER), 'unknown-signer'],
  ])('refused: %s', (_n, edit, check) => {
    expect(verifyCheckpointAgainstHead(edit(chain.checkpoint()), facts, chain.policy, own)).toMatchObject({ ok: false, check });
  });

  it('a validly signed checkpoint of another history is refused with what differs', () => {
    const forked = chain.prefix(7);
    forked.append(forked.build({ invoice: 'INV-OTHER' }));
    forked.extend(3);
    expect(verifyCheckpointAgainstHead(forked.checkpoint(), facts, chain.policy, own)).toMatchObject({ ok: false, check: 'final-state-root-mismatch' });
    const sameTip = forked.checkpoint();
    const mmr = sameTip.mmr as JsonObject;
    const unsigned = { ...(withoutKeys(sameTip, 'proof') as JsonObject), final_state_root: chain.head };
    expect(verifyCheckpointAgainstHead(addProof(addProof(unsigned, A), B), facts, chain.policy, own)).toMatchObject({ ok: false, check: 'mmr-root-mismatch', detail: expect.stringContaining(mmr.root as string) });
  });

  it('a checkpoint below the head is checked with a consistency proof to the head', () => {
    const proof = chain.mmr.buildConsistencyProof(6, 11);
    const stored6 = chain.receipts[5].next_root as string;
    expect(verifyCheckpointBelowHead(chain.checkpoint(6), facts, chain.policy, stored6, { size: 11, mmrRoot: chain.mmr.root }, proof)).toMatchObject({ ok: true, size: 6 });
    const forked = chain.prefix(3);
    forked.append(forked.build({ invoice: 'INV-OTHER' }));
    forked.extend(2);
    const lie = { ...(withoutKeys(forked.checkpoint(6), 'proof') as JsonObject), final_state_root: stored6 };
    expect(verifyCheckpointBelowHead(addProof(lie, A), facts, chain.policy, stored6, { size: 11, mmrRoot: chain.mmr.root }, forked.mmr.buildConsistencyProof(6, 6))).toMatchObject({ ok: false, check: 'consistency-failed' });
  });

  it('a consistency proof between two attested checkpoints: valid, and a rewritten history fails with its reason', () => {
    const roots = chain.receipts.map((r) => r.next_root as string);
    const good = buildConsistencyProof(roots, 4);
    const old = { size: 4, mmrRoot: chain.mmr.snapshotAt(4).root };
    expect(verifyAttestedConsistency(good, old, { size: 11, mmrRoot: chain.mmr.root })).toEqual({ ok: true });
    const rewritten = [...roots];
    rewritten[2] = 'ee'.repeat(32);
    const bad = buildConsistencyProof(rewritten, 4);
    expect(verifyAttestedConsistency(bad, old, { size: 11, mmrRoot: buildConsistencyProof(rewritten, 11).new_root })).toMatchObject({ ok: false, check: 'consistency-failed', detail: expect.stringMatching(/^consistency proof 4 → 11: trusted_old_root_mismatch/) });
    expect(verifyAttestedConsistency({ ...good, path: good.path.slice(1) }, old, { size: 11, mmrRoot: chain.mmr.root })).toMatchObject({ ok: false, detail: expect.stringContaining('path_length_mismatch') });
    expect(verifyAttestedConsistency(good, old, { size: 11, mmrRoot: 'ab'.repeat(32) })).toMatchObject({ ok: false, detail: expect.stringContaining('trusted_new_root_mismatch') });
  });
});

describe('property: random tamperings never pass', () => {
  const chain = new TestChain({ corridorId: 'org.example.prop', signers: [A, B] }).extend(8);

  /** Every path to a value inside the receipt's signed content, plus each proof's jws and verification method. */
  function paths(value: JsonValue, prefix: (string | number)[] = []): (string | number)[][] {
    const out: (string | number)[][] = [];
    if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...paths(v, [...prefix, i])));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...paths(v, [...prefix, k]));
    return out;
  }
  const signedPaths = (r: JsonObject) => [
    ...paths(withoutKeys(r, 'proof') as JsonObject),
    ...(r.proof as JsonObject[]).flatMap((_p, i) => [['proof', i, 'jws'], ['proof', i, 'verificationMethod']]),
  ];

  const mutation = fc.oneof(
    fc.record({ op: fc.constant('replace' as const), value: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.hexaString({ minLength: 64, maxLength: 64 })) }),
    fc.record({ op: fc.constant('delete' as const) }),
    fc.record({ op: fc.constant('insert' as const), key: fc.string({ minLength: 1, maxLength: 8 }), value: fc.oneof(fc.string(), fc.integer()) }),
    fc.record({ op: fc.constant('flip' as const), at: fc.nat() }),
  );

  it('a receipt whose signed content or signature changed is refused', () => {
    fc.assert(
      fc.property(fc.nat({ max: chain.size - 1 }), fc.nat(), mutation, (index, pick, m) => {
        const original = chain.receipts[index];
        const copy = JSON.parse(JSON.stringify(original)) as JsonObject;
        const all = signedPaths(original);
        const path = all[pick % all.length];
        let parent: any = copy;
        for (const p of path.slice(0, -1)) parent = parent[p];
        const last = path[path.length - 1];
        if (m.op === 'replace') parent[last] = m.value;
        else if (m.op === 'delete') Array.isArray(parent) ? parent.splice(last as number, 1) : delete parent[last];
        else if (m.op === 'insert') {
          const target = parent[last];
          if (target === null || typeof target !== 'object' || Array.isArray(target)) parent[last] = { [m.key]: m.value };
          else target[m.key] = m.value;
        } else {
          const s = typeof parent[last] === 'string' ? (parent[last] as string) : JSON.stringify(parent[last]);
          const i = m.at % Math.max(1, s.length);
          parent[last] = s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
        }
        const changedSigned = canonicalize(withoutKeys(copy, 'proof')) !== canonicalize(withoutKeys(original, 'proof'));
        const proofs = copy.proof as JsonObject[] | undefined;
        const signedPart = (list: unknown) => canonicalize(Array.isArray(list) ? list.map((p) => (p !== null && typeof p === 'object' ? [(p as JsonObject).jws ?? null, typeof (p as JsonObject).verificationMethod === 'string' ? ((p as JsonObject).verificationMethod as string).split('#')[0] : ((p as JsonObject).verificationMethod ?? null)] : p)) : (list ?? null));
        const changedProof = signedPart(proofs) !== signedPart(original.proof);
        fc.pre(changedSigned || changedProof);
        const texts = [...chain.texts];
        texts[index] = canonicalize(copy);
        const failure = verifyAll(chain, texts);
        return failure !== null && failure.index === index;
      }),
      { numRuns: 400 },
    );
  });

  it('dropping, duplicating or swapping receipts is refused at the first wrong position', () => {
    fc.assert(
      fc.property(fc.nat({ max: chain.size - 2 }), fc.nat({ max: chain.size - 1 }), fc.constantFrom('drop', 'duplicate', 'swap'), (i, j, op) => {
        const texts = [...chain.texts];
        if (op === 'drop') texts.splice(i, 1);
        else if (op === 'duplicate') texts.splice(i + 1, 0, texts[j]);
        else [texts[i], texts[i + 1]] = [texts[i + 1], texts[i]];
        const failure = verifyAll(chain, texts);
        const expected = op === 'duplicate' ? (j === i + 1 ? i + 2 : i + 1) : i;
        return failure !== null && failure.index === expected && ['gap', 'rewind'].includes(failure.outcome.check);
      }),
      { numRuns: 200 },
    );
  });
});

function clone(value: JsonObject): JsonObject {
  return parseJsonText(canonicalize(value)) as JsonObject;
}

function flip(jws: string): string {
  const b = Buffer.from(jws, 'base64url');
  b[10] ^= 1;
  return b.toString('base64url');
}
