/** Dismiss a dispute before evidence is collected. */
export class DismissDisputeCommand {
  constructor(
    readonly disputeId: string,
    readonly dismissalOrderDigestSha256: string,
    readonly reason: string,
  ) {}
}
