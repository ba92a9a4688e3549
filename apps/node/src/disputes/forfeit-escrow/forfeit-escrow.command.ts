/** Forfeit funded escrow, for a reason that holds now. */
export class ForfeitEscrowCommand {
  constructor(
    readonly disputeId: string,
    readonly escrowId: string,
    readonly condition: string,
    readonly orderDigestSha256: string | undefined,
  ) {}
}
