import type { JsonObject } from '@corridor/protocol';

/**
 * Published on the event bus after a command of a corridor-bound aggregate (migration saga, dispute) appended
 * receipts. Process managers react to what those receipts ask of other aggregates.
 */
export class AggregateReceiptsAppended {
  constructor(
    readonly aggregate: string,
    readonly id: string,
    readonly receipts: readonly { stream: string; receipt: JsonObject }[],
  ) {}
}
