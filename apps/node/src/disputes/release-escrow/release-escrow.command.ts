/** Release funded escrow to a party, for a reason that holds now. */
export class ReleaseEscrowCommand {
  constructor(
    readonly disputeId: string,
    readonly escrowId: string,
    readonly to: string,
    readonly condition: string,
    readonly orderDigestSha256: string | undefined,
  ) {}
}
