/** A party consents to a settlement agreement; both consents to one agreement settle the dispute. */
export class ConsentToSettlementCommand {
  constructor(
    readonly disputeId: string,
    readonly party: string,
    readonly consent: Record<string, unknown> | undefined,
  ) {}
}
