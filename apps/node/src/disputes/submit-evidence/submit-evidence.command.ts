/** A party submits an evidence package citing corridor receipts, each with its MMR inclusion proof. */
export class SubmitEvidenceCommand {
  constructor(
    readonly disputeId: string,
    readonly packageId: string,
    readonly submittedBy: string,
    readonly items: { receipt_next_root: string; inclusion_proof?: Record<string, unknown>; description?: string }[],
  ) {}
}
