/** The institution acknowledges the case and appoints the arbitrator whose signature the ruling will carry. */
export class BeginReviewCommand {
  constructor(
    readonly disputeId: string,
    readonly caseReference: string,
    readonly arbitrator: string,
  ) {}
}
