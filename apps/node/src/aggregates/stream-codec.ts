import { makeTransitionEnvelope, type JsonObject, type JsonValue, type TransitionEnvelope } from '@corridor/protocol';
import type { DomainEvent } from '@corridor/domain';
import type { ChainEvent } from '@corridor/ledger';

/**
 * How a stream's domain events and its receipts map onto each other. The receipt is the only thing stored,
 * so the mapping must be lossless: decoding a receipt gives back exactly the event that produced it.
 */
export interface StreamCodec {
  toTransition(event: ChainEvent): TransitionEnvelope;
  fromReceipt(eventType: string, receipt: JsonObject): DomainEvent;
}

/** The default: the transition's kind is the event's stable name and its payload the event's data. */
export const eventEnvelopeCodec: StreamCodec = {
  toTransition: (event) => makeTransitionEnvelope({ kind: event.type, payload: event.data }),
  fromReceipt: (_type, receipt) => {
    const t = receipt.transition as TransitionEnvelope;
    return { type: t.kind, data: t.payload as object };
  },
};

/** Events of the domain carry their time as `data.at`; the receipt timestamp is that time. */
export function chainEventOf(event: DomainEvent): ChainEvent {
  const data = event.data as JsonObject;
  if (typeof data.at !== 'string') throw new Error(`event ${event.type} has no time (data.at)`);
  return { type: event.type, data: data as JsonValue, at: data.at };
}
