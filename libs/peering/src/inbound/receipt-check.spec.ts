import fc from 'fast-check';
import { addProof, canonicalize, Ed25519KeyPair, isJsonObject, parseJsonText, sealReceipt, sha256Hex, withoutKeys, type JsonObject } from '@corridor/protocol';
import { checkInboundReceipt, type InboundReceiptContext } from './receipt-check';
import { cosign, verifyCosignature, withProofs } from './cosignature';
import { buildProposal, verifyProposal } from './proposal';

const sequencer = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 1), 'pk');
const peer = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 2), 'ae');
const stranger = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 3), 'xx');
const GENESIS = sha256Hex('genesis');
const RULESETS = [sha256Hex('ruleset')];

function receiptAt(sequence: number, prevRoot: string, invoice = `INV-${sequence}`, key = sequencer, timestamp = '2026-01-01T00:00:00Z'): JsonObject {
  const sealed = sealReceipt({
    type: 'MSEZCorridorStateReceipt',
    corridor_id: 'c-1',
    sequence,
    timestamp,
    prev_root: prevRoot,
    lawpack_digest_set: [],
    ruleset_digest_set: RULESETS,
    transition: { type: 'MSEZTransitionEnvelope', kind: 'trade.invoice.issued.v1', payload: { invoice } },
  } as JsonObject);
  return addProof(sealed, key, { created: '2026-01-01T00:00:00Z' });
}

function chain(n: number): JsonObject[] {
  const out: JsonObject[] = [];
  for (let i = 0; i < n; i++) out.push(receiptAt(i, i === 0 ? GENESIS : (out[i - 1]!.next_root as string)));
  return out;
}

function ctx(held: JsonObject[], incomingSeq?: number): InboundReceiptContext {
  const head = held.at(-1);
  const stored = incomingSeq !== undefined ? held[incomingSeq] : undefined;
  return {
    corridorId: 'c-1',
    sequencerDid: sequencer.did,
    receiptType: 'MSEZCorridorStateReceipt',
    genesisRoot: GENESIS,
    lawpackDigestSet: [],
    rulesetDigestSet: RULESETS,
    head: head ? { sequence: head.sequence as number, nextRoot: head.next_root as string } : null,
    stored: stored ? { prev_root: stored.prev_root as string, next_root: stored.next_root as string } : undefined,
    now: new Date('2026-01-01T00:00:10Z'),
    maxSkewSeconds: 300,
  };
}

describe('inbound receipt checks (spec/peering.md §4)', () => {
  const held = chain(5);

  it('given a chain of 5, the sequencer-signed receipt 5 continuing it is appended', () => {
    const next = receiptAt(5, held[4]!.next_root as string);
    expect(checkInboundReceipt(next, ctx(held))).toEqual({ verdict: 'append', sequence: 5 });
  });

  it('given no receipt yet, receipt 0 must start at the genesis root', () => {
    expect(checkInboundReceipt(held[0], ctx([]))).toEqual({ verdict: 'append', sequence: 0 });
    expect(checkInboundReceipt(receiptAt(0, sha256Hex('elsewhere')), ctx([]))).toMatchObject({ verdict: 'reject', reason: 'prev-root-mismatch' });
  });

  it('a receipt already held is a duplicate; one at the same (sequence, prev_root) with another next_root is a fork', () => {
    expect(checkInboundReceipt(held[2], ctx(held, 2))).toEqual({ verdict: 'duplicate', sequence: 2 });
    const other = receiptAt(2, held[1]!.next_root as string, 'FORGED');
    expect(checkInboundReceipt(other, ctx(held, 2))).toEqual({
      verdict: 'fork',
      sequence: 2,
      prevRoot: held[1]!.next_root,
      heldNextRoot: held[2]!.next_root,
      incomingNextRoot: other.next_root,
    });
    const offBranch = receiptAt(2, sha256Hex('another branch'));
    expect(checkInboundReceipt(offBranch, ctx(held, 2))).toMatchObject({ verdict: 'reject', reason: 'stale' });
  });

  it('a receipt ahead of the head is a gap to fetch', () => {
    const ahead = receiptAt(8, sha256Hex('x'));
    expect(checkInboundReceipt(ahead, ctx(held))).toEqual({ verdict: 'gap', sequence: 8, from: 5, to: 7 });
  });

  it.each([
    ['wrong-corridor', (r: JsonObject) => addProof(sealReceipt({ ...(withoutKeys(r, 'proof', 'next_root') as JsonObject), corridor_id: 'c-2' }), sequencer)],
    ['unknown-signer', (r: JsonObject) => addProof(withoutKeys(r, 'proof') as JsonObject, stranger)],
    ['bad-signature', (r: JsonObject) => ({ ...r, proof: { ...(r.proof as JsonObject), jws: (r.proof as JsonObject).jws === 'A'.repeat(86) ? 'B'.repeat(86) : 'A'.repeat(86) } })],
    ['bad-next-root', (r: JsonObject) => addProof({ ...(withoutKeys(r, 'proof') as JsonObject), timestamp: '2026-01-01T00:00:01Z' }, sequencer)],
    ['timestamp-skew', () => receiptAt(5, held[4]!.next_root as string, 'late', sequencer, '2026-01-01T01:00:00Z')],
    ['malformed', (r: JsonObject) => ({ ...r, sequence: -1 })],
    ['malformed', (r: JsonObject) => addProof(sealReceipt({ ...(withoutKeys(r, 'proof', 'next_root') as JsonObject), ruleset_digest_set: [] }), sequencer)],
  ])('refuses %s', (reason, tamper) => {
    const next = receiptAt(5, held[4]!.next_root as string);
    expect(checkInboundReceipt(tamper(next), ctx(held))).toMatchObject({ verdict: 'reject', reason });
  });

  it('property: any change to a valid receipt makes it anything but an append', () => {
    const next = receiptAt(5, held[4]!.next_root as string);
    const text = canonicalize(next);
    fc.assert(
      fc.property(fc.nat(text.length - 1), fc.char(), (at, c) => {
        const changed = text.slice(0, at) + c + text.slice(at + 1);
        if (changed === text) return;
        let value: unknown;
        try {
          value = parseJsonText(changed);
        } catch {
          return; // not JSON any more: the transport's decoder refuses it first
        }
        const verdict = checkInboundReceipt(value, ctx(held));
        if (canonicalize(value as JsonObject) === text) return; // whitespace or key-order change: the same receipt
        // A proof's own fields (created, the key's fragment, the last base64url character's unused bits) are not
        // signed (MsezEd25519Signature2025 signs the document without its proof): the same receipt, still genuine.
        if (isJsonObject(value) && canonicalize(withoutKeys(value, 'proof') as JsonObject) === canonicalize(withoutKeys(next, 'proof') as JsonObject)) return;
        expect(verdict.verdict).not.toBe('append');
      }),
      { numRuns: 300 },
    );
  });

  it('property: random JSON never throws, and is never appended', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(checkInboundReceipt(v, ctx(held)).verdict).not.toBe('append');
      }),
      { numRuns: 300 },
    );
  });
});

describe('co-signatures', () => {
  const [r] = chain(1);

  it('a peer co-signs the receipt; the merged receipt verifies with both proofs, sequencer first', () => {
    const proof = cosign(r!, peer, '2026-01-01T00:00:05Z') as unknown as JsonObject;
    expect(verifyCosignature(r!, proof, new Set([peer.did]))).toEqual({ ok: true, signer: peer.did });
    const merged = withProofs(r!, [r!.proof as JsonObject, proof, proof]);
    expect((merged.proof as JsonObject[]).map((p) => p.verificationMethod)).toEqual([sequencer.verificationMethod, peer.verificationMethod]);
    expect(merged.next_root).toBe(r!.next_root);
  });

  it('refuses a co-signature by a key that is not a signer, or over another receipt', () => {
    const byStranger = cosign(r!, stranger, '2026-01-01T00:00:05Z') as unknown as JsonObject;
    expect(verifyCosignature(r!, byStranger, new Set([peer.did]))).toMatchObject({ ok: false });
    const other = receiptAt(0, GENESIS, 'other');
    const overOther = cosign(other, peer, '2026-01-01T00:00:05Z') as unknown as JsonObject;
    expect(verifyCosignature(r!, overOther, new Set([peer.did]))).toMatchObject({ ok: false });
  });
});

describe('proposals', () => {
  const proposal = buildProposal({ corridor_id: 'c-1', proposed_at: '2026-01-01T00:00:00Z', transition: { kind: 'k', payload: { a: 1 } }, nonce: 'n-1' }, peer, '2026-01-01T00:00:00Z');

  it('verifies when signed by a node of the corridor, with a stable id', () => {
    const a = verifyProposal(proposal, 'c-1', new Set([peer.did]));
    const b = verifyProposal(parseJsonText(canonicalize(proposal)), 'c-1', new Set([peer.did]));
    expect(a.ok && b.ok && a.id === b.id).toBe(true);
  });

  it('refuses another corridor, another proposer, or a changed transition', () => {
    expect(verifyProposal(proposal, 'c-2', new Set([peer.did]))).toMatchObject({ ok: false });
    expect(verifyProposal(proposal, 'c-1', new Set([stranger.did]))).toMatchObject({ ok: false });
    expect(verifyProposal({ ...proposal, transition: { kind: 'k', payload: { a: 2 } } }, 'c-1', new Set([peer.did]))).toMatchObject({ ok: false });
  });
});
