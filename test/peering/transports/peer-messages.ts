import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { didKeyFromPublicKey, generateEd25519KeyPair, sealReceipt } from '@corridor/protocol';
import type { JsonObject, JsonValue } from '@corridor/protocol';
import type { PeerMessage } from '@corridor/peering';

/** Test data for the transport suites: did:keys, receipts and peer messages, and fast-check arbitraries of them. */

export const newDid = (): string => generateEd25519KeyPair().did;

export const hex64 = (): string => randomBytes(32).toString('hex');

/** A sealed receipt-shaped object (its `next_root` is the digest of the rest, as a real one's). */
export function receipt(corridorId: string, sequence: number, extra: JsonObject = {}): JsonObject {
  return sealReceipt({
    type: 'CorridorStateReceipt',
    corridor_id: corridorId,
    sequence,
    timestamp: '2026-01-01T00:00:00Z',
    prev_root: hex64(),
    lawpack_digest_set: [],
    ruleset_digest_set: [],
    transition: { type: 'MSEZTransitionEnvelope', kind: 'trade.invoice.issued.v1', payload: { n: sequence } },
    ...extra,
  }) as JsonObject;
}

export function receiptMessage(corridorId: string, sequence: number): PeerMessage {
  return { kind: 'receipt', corridor_id: corridorId, receipt: receipt(corridorId, sequence) };
}

export function cosignatureMessage(corridorId: string, sequence: number): PeerMessage {
  return {
    kind: 'cosignature',
    corridor_id: corridorId,
    sequence,
    next_root: hex64(),
    proof: { type: 'MsezEd25519Signature2025', verificationMethod: 'did:key:z6Mk#key-1', proofValue: randomBytes(8).toString('hex') },
  };
}

export function checkpointMessage(corridorId: string, receiptCount: number): PeerMessage {
  return { kind: 'checkpoint', corridor_id: corridorId, checkpoint: { corridor_id: corridorId, receipt_count: receiptCount, final_state_root: hex64() } };
}

/** The sequence a test message is about (receipt or co-signature), for order assertions. */
export function sequenceOf(message: PeerMessage): number {
  if (message.kind === 'receipt') return message.receipt.sequence as number;
  if (message.kind === 'cosignature') return message.sequence;
  if (message.kind === 'checkpoint') return message.checkpoint.receipt_count as number;
  throw new Error(`no sequence in a ${message.kind} message`);
}

// -- arbitraries ------------------------------------------------------------------------------------------------------

/** Keys, hostile ones included (`__proto__` stays an own key, as parseJsonText makes it). */
const keyArb = fc.oneof({ weight: 5, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) }, { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'toString', 'kind', '') });

function objectFrom(entries: Array<[string, JsonValue]>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * JSON values of the protocol's data model as parseJsonText returns them: well-formed strings, safe integers
 * (numbers), integers beyond 2^53 (bigints), booleans, null, arrays, objects.
 */
export const jsonValueArb: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue; object: JsonObject }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.oneof(fc.bigInt({ min: 2n ** 53n, max: 2n ** 90n }), fc.bigInt({ min: -(2n ** 90n), max: -(2n ** 53n) })),
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc.array(fc.tuple(keyArb, tie('value')), { maxLength: 5 }).map(objectFrom),
})).value;

export const jsonObjectArb: fc.Arbitrary<JsonObject> = fc.array(fc.tuple(keyArb, jsonValueArb), { maxLength: 5 }).map(objectFrom);

export const hex64Arb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));

export const didArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => didKeyFromPublicKey(b));

export const corridorIdArb = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,40}$/),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
);

export const peerMessageArb: fc.Arbitrary<PeerMessage> = fc.oneof(
  fc.record({ kind: fc.constant('receipt' as const), corridor_id: corridorIdArb, receipt: fc.tuple(jsonObjectArb, hex64Arb).map(([o, root]) => ({ ...o, next_root: root })) }),
  fc.record({ kind: fc.constant('proposal' as const), corridor_id: corridorIdArb, proposal: jsonObjectArb }),
  fc.record({ kind: fc.constant('cosignature' as const), corridor_id: corridorIdArb, sequence: fc.maxSafeNat(), next_root: hex64Arb, proof: jsonObjectArb }),
  fc.record({ kind: fc.constant('checkpoint' as const), corridor_id: corridorIdArb, checkpoint: jsonObjectArb }),
  fc.record({ kind: fc.constant('fork-alarm' as const), corridor_id: corridorIdArb, credential: jsonObjectArb }),
  fc.record({ kind: fc.constant('fork-resolution' as const), corridor_id: corridorIdArb, credential: jsonObjectArb }),
);

/** RFC 3339 times, to the second or with a fraction, in UTC or with an offset. */
export const timeArb = fc
  .tuple(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }), fc.boolean())
  .map(([d, seconds]) => (seconds ? d.toISOString().replace(/\.\d{3}Z$/, 'Z') : d.toISOString()));
