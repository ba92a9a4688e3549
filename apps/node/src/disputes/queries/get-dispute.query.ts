export class GetDisputeQuery {
  constructor(readonly disputeId: string) {}
}
