import { CORRIDOR_RECEIPT_TYPE, type JsonObject, type JsonValue, type TransitionEnvelope } from '@corridor/protocol';

/**
 * What makes one aggregate's receipts its own: the receipt type, the field naming the aggregate instance, the
 * genesis root its first receipt chains from, and the digest sets every receipt carries. Corridor chains use
 * the reference's `MSEZCorridorStateReceipt` / `corridor_id`; other aggregates their own (spec/receipt-chains.md).
 */
export interface ChainProfile {
  readonly receiptType: string;
  readonly subjectField: string;
  readonly subjectId: string;
  /** Fields every receipt of the chain carries besides the standard ones (e.g. `corridor_id` of a saga). */
  readonly extraFields?: JsonObject;
  readonly genesisRoot: string;
  readonly lawpackDigestSet: readonly string[];
  readonly rulesetDigestSet: readonly string[];
  /**
   * How an event becomes the receipt's transition. Default: kind = the event's stable name, payload = its data.
   * A corridor's recorded transition is itself an envelope and is committed as is.
   */
  readonly toTransition?: (event: ChainEvent) => TransitionEnvelope;
}

/** One domain event to record: its stable name, its data, and the time it happened (the receipt timestamp). */
export interface ChainEvent {
  readonly type: string;
  readonly data: JsonValue;
  /** UTC, whole seconds: `YYYY-MM-DDTHH:MM:SSZ` (also the proof's `created`). */
  readonly at: string;
}

/** The profile of a corridor's state chain (the reference's receipts). */
export function corridorChainProfile(input: {
  corridorId: string;
  genesisRoot: string;
  lawpackDigestSet: readonly string[];
  rulesetDigestSet: readonly string[];
  extraFields?: JsonObject;
}): ChainProfile {
  return {
    receiptType: CORRIDOR_RECEIPT_TYPE,
    subjectField: 'corridor_id',
    subjectId: input.corridorId,
    genesisRoot: input.genesisRoot,
    lawpackDigestSet: input.lawpackDigestSet,
    rulesetDigestSet: input.rulesetDigestSet,
    ...(input.extraFields ? { extraFields: input.extraFields } : {}),
  };
}
