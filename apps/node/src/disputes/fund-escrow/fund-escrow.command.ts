/** A party funds escrow for the dispute. */
export class FundEscrowCommand {
  constructor(
    readonly disputeId: string,
    readonly escrowId: string,
    readonly escrowType: string,
    readonly amount: string,
    readonly currency: string,
    readonly fundedBy: string,
  ) {}
}
