import { canonicalize } from '@corridor/protocol';

/**
 * Canonical JSON texts already known for answer objects. A command's answer is mostly its signed receipts, whose
 * canonical text the ledger has just stored: the answer is spliced from those texts rather than serialised again.
 * Keyed by the object itself — a copy is serialised afresh — and the object is frozen, so its text cannot go stale.
 */
const known = new WeakMap<object, string>();

/** Records `text` as the canonical JSON of `value` (which must equal `canonicalize(value)`) and freezes `value`. */
export function withCanonicalText<T extends object>(value: T, text: string): T {
  known.set(Object.freeze(value), text);
  return value;
}

/** `canonicalize(value)`, from the known text when there is one. */
export function canonicalJson(value: unknown): string {
  return (typeof value === 'object' && value !== null && known.get(value)) || canonicalize(value);
}
