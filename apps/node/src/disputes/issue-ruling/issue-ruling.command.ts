/** Issue the arbitrator's signed ruling. */
export class IssueRulingCommand {
  constructor(
    readonly disputeId: string,
    readonly ruling: Record<string, unknown> | undefined,
  ) {}
}
