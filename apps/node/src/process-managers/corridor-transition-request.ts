import { digestOf, isJsonObject, type JsonObject, type TransitionEnvelope } from '@corridor/protocol';

/**
 * A transition a saga or dispute receipt asks the node to record in a corridor's state channel: the event's
 * `corridor_transition {corridor_id, kind, payload}` (spec/receipt-chains.md §4).
 */
export interface CorridorTransitionRequest {
  corridorId: string;
  kind: string;
  payload: JsonObject;
  /** Identity of the transition in the corridor: kind and payload digest (each request's payload is unique). */
  key: string;
  /** The receipt that asked for it. */
  source: { stream: string; sequence: number };
}

/** Streams whose receipts may carry corridor transitions (migration sagas and disputes). */
export const REQUESTING_STREAM_PREFIXES = ['migration-', 'dispute-'] as const;

export function transitionKey(corridorId: string, kind: string, payloadSha256: string): string {
  return `${corridorId}\n${kind}\n${payloadSha256}`;
}

/** The corridor transition a receipt asks for, or null when it asks for none. */
export function corridorTransitionOf(stream: string, receipt: JsonObject): CorridorTransitionRequest | null {
  if (!REQUESTING_STREAM_PREFIXES.some((p) => stream.startsWith(p))) return null;
  const transition = receipt.transition as TransitionEnvelope | undefined;
  if (!isJsonObject(transition) || !isJsonObject(transition.payload)) return null;
  const wanted = transition.payload.corridor_transition;
  if (!isJsonObject(wanted) || typeof wanted.corridor_id !== 'string' || typeof wanted.kind !== 'string' || !isJsonObject(wanted.payload)) return null;
  return {
    corridorId: wanted.corridor_id,
    kind: wanted.kind,
    payload: wanted.payload,
    key: transitionKey(wanted.corridor_id, wanted.kind, digestOf(wanted.payload)),
    source: { stream, sequence: receipt.sequence as number },
  };
}
