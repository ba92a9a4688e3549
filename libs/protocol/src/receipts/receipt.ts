import { digestOf } from '../digest';
import type { JsonObject, JsonValue } from '../json/json-value';
import { withoutKeys } from '../proofs/proof';
import type { TransitionEnvelope } from './transition-envelope';

export const CORRIDOR_RECEIPT_TYPE = 'MSEZCorridorStateReceipt';

/**
 * A corridor state receipt. Every field except `proof` and `next_root` is committed by `next_root`,
 * unknown extra fields included; `proof` signs everything but itself (so it covers `next_root`).
 */
export interface CorridorReceipt extends JsonObject {
  type: string;
  corridor_id: string;
  sequence: number;
  timestamp: string;
  prev_root: string;
  lawpack_digest_set: string[];
  ruleset_digest_set: string[];
  transition: TransitionEnvelope;
  next_root: string;
}

/** `next_root = SHA256(canonical(receipt − proof − next_root))`. */
export function computeNextRoot(receipt: JsonObject): string {
  return digestOf(withoutKeys(receipt, 'proof', 'next_root'));
}

/** Sets `next_root` on a receipt draft (any `proof` is dropped: it would no longer match). */
export function sealReceipt<T extends JsonObject>(draft: T): T & { next_root: string } {
  const body = withoutKeys(draft, 'proof', 'next_root') as JsonObject;
  return { ...body, next_root: digestOf(body) } as T & { next_root: string };
}

export interface ReceiptDraftInput {
  /** Receipt type; corridor receipts use `MSEZCorridorStateReceipt`, other aggregates their own. */
  type?: string;
  corridor_id: string;
  sequence: number;
  timestamp: string;
  prev_root: string;
  lawpack_digest_set: string[];
  ruleset_digest_set: string[];
  transition: TransitionEnvelope;
  transition_type_registry_digest_sha256?: string;
  [extra: string]: JsonValue | undefined;
}

/** Builds and seals a receipt in the reference's field order (order is cosmetic: bytes are canonical). */
export function buildReceipt(input: ReceiptDraftInput): CorridorReceipt {
  const { type, corridor_id, sequence, timestamp, prev_root, lawpack_digest_set, ruleset_digest_set, transition, ...rest } = input;
  const draft: JsonObject = {
    type: type ?? CORRIDOR_RECEIPT_TYPE,
    corridor_id,
    sequence,
    timestamp,
    prev_root,
    lawpack_digest_set,
    ruleset_digest_set,
    transition,
  };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) draft[k] = v;
  return sealReceipt(draft) as CorridorReceipt;
}
