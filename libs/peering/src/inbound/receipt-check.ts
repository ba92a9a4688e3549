import { baseDid, computeNextRoot, isJsonObject, proofList, verifyProofs, type JsonObject } from '@corridor/protocol';

/** Why an inbound receipt was turned away. Each is logged and counted; none stores anything. */
export const RECEIPT_REJECTIONS = [
  'malformed',
  'wrong-corridor',
  'unknown-signer',
  'bad-signature',
  'bad-next-root',
  'prev-root-mismatch',
  'stale',
  'timestamp-skew',
] as const;
export type ReceiptRejection = (typeof RECEIPT_REJECTIONS)[number];

/** What the node knows when a receipt of a shared corridor chain arrives. */
export interface InboundReceiptContext {
  readonly corridorId: string;
  /** The sequencer's did:key: the only signer whose proof makes a receipt (the first proof, by convention). */
  readonly sequencerDid: string;
  /** Receipt type, digest sets and genesis root the chain commits to. */
  readonly receiptType: string;
  readonly genesisRoot: string;
  readonly lawpackDigestSet: readonly string[];
  readonly rulesetDigestSet: readonly string[];
  /** The local head (null: no receipt yet). */
  readonly head: { readonly sequence: number; readonly nextRoot: string } | null;
  /** The receipt this node holds at the incoming receipt's sequence, when it holds one. */
  readonly stored?: { readonly prev_root: string; readonly next_root: string };
  readonly now: Date;
  readonly maxSkewSeconds: number;
}

export type InboundReceiptVerdict =
  /** Continues the head: append it. */
  | { readonly verdict: 'append'; readonly sequence: number }
  /** This very receipt is already held (a redelivery): acknowledge, nothing to store. */
  | { readonly verdict: 'duplicate'; readonly sequence: number }
  /** Ahead of the head: buffer it and fetch `from..to` first. */
  | { readonly verdict: 'gap'; readonly sequence: number; readonly from: number; readonly to: number }
  /** A validly signed receipt at a held (sequence, prev_root) with another next_root: equivocation. */
  | { readonly verdict: 'fork'; readonly sequence: number; readonly prevRoot: string; readonly heldNextRoot: string; readonly incomingNextRoot: string }
  | { readonly verdict: 'reject'; readonly reason: ReceiptRejection; readonly detail: string };

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The inbound checks of spec/peering.md §4, in order: shape, corridor, signer, signature, next_root, time, then
 * position against the local chain. Signature and next_root come before position so that a fork alarm is only ever
 * raised over two genuine receipts.
 */
export function checkInboundReceipt(receipt: unknown, ctx: InboundReceiptContext): InboundReceiptVerdict {
  const reject = (reason: ReceiptRejection, detail: string): InboundReceiptVerdict => ({ verdict: 'reject', reason, detail });
  if (!isJsonObject(receipt)) return reject('malformed', 'a receipt must be a JSON object');
  const { sequence, prev_root: prevRoot, next_root: nextRoot, timestamp } = receipt;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) return reject('malformed', 'sequence must be a non-negative integer');
  if (typeof prevRoot !== 'string' || !HEX64.test(prevRoot)) return reject('malformed', `receipt ${sequence}: prev_root must be 64 lowercase hex`);
  if (typeof nextRoot !== 'string' || !HEX64.test(nextRoot)) return reject('malformed', `receipt ${sequence}: next_root must be 64 lowercase hex`);
  if (typeof timestamp !== 'string') return reject('malformed', `receipt ${sequence}: timestamp must be a string`);
  if (receipt.type !== ctx.receiptType) return reject('malformed', `receipt ${sequence}: type ${JSON.stringify(receipt.type)} is not ${ctx.receiptType}`);
  if (receipt.corridor_id !== ctx.corridorId) return reject('wrong-corridor', `receipt ${sequence} names corridor ${JSON.stringify(receipt.corridor_id)}, not ${ctx.corridorId}`);

  const proofs = proofList(receipt);
  const first = proofs[0];
  const signer = isJsonObject(first) && typeof first.verificationMethod === 'string' ? first.verificationMethod : '';
  if (!signer.startsWith('did:key:') || baseDid(signer) !== ctx.sequencerDid) {
    return reject('unknown-signer', `receipt ${sequence} is signed first by ${signer || 'nobody'}, not by the corridor's sequencer ${ctx.sequencerDid}`);
  }
  const [result] = verifyProofs({ ...receipt, proof: first as JsonObject });
  if (!result?.ok) return reject('bad-signature', `receipt ${sequence}: the sequencer's proof does not verify (${result?.check ?? 'proof-shape'}: ${result?.error ?? 'missing'})`);
  if (computeNextRoot(receipt) !== nextRoot) return reject('bad-next-root', `receipt ${sequence}: next_root does not recompute from the receipt`);
  if (!sameSet(receipt.lawpack_digest_set, ctx.lawpackDigestSet) || !sameSet(receipt.ruleset_digest_set, ctx.rulesetDigestSet)) {
    return reject('malformed', `receipt ${sequence}: its lawpack/ruleset digest sets are not the corridor's`);
  }
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return reject('malformed', `receipt ${sequence}: timestamp ${JSON.stringify(timestamp)} is not a date`);
  const skew = (at - ctx.now.getTime()) / 1000;
  if (skew > ctx.maxSkewSeconds) {
    return reject('timestamp-skew', `receipt ${sequence} is dated ${timestamp}, ${Math.round(skew)} s ahead of this node's clock (bound ${ctx.maxSkewSeconds} s)`);
  }

  const headSeq = ctx.head ? ctx.head.sequence : -1;
  if (sequence <= headSeq) {
    const held = ctx.stored;
    if (!held) return reject('stale', `receipt ${sequence} is at or below the head ${headSeq}, and this node cannot read its own receipt there`);
    if (held.next_root === nextRoot) return { verdict: 'duplicate', sequence };
    if (held.prev_root === prevRoot) return { verdict: 'fork', sequence, prevRoot, heldNextRoot: held.next_root, incomingNextRoot: nextRoot };
    return reject('stale', `receipt ${sequence} continues ${prevRoot}, which is not this chain (a receipt of another branch, already superseded)`);
  }
  if (sequence > headSeq + 1) return { verdict: 'gap', sequence, from: headSeq + 1, to: sequence - 1 };
  const expectedPrev = ctx.head ? ctx.head.nextRoot : ctx.genesisRoot;
  if (prevRoot !== expectedPrev) return reject('prev-root-mismatch', `receipt ${sequence}: prev_root ${prevRoot} does not continue the head ${expectedPrev}`);
  return { verdict: 'append', sequence };
}

function sameSet(value: unknown, expected: readonly string[]): boolean {
  return Array.isArray(value) && value.length === expected.length && value.every((v, i) => v === expected[i]);
}
