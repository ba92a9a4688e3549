/** File a dispute between two parties over a corridor of this node. */
export class FileDisputeCommand {
  constructor(
    readonly disputeId: string,
    readonly corridorId: string,
    readonly claimant: string,
    readonly respondent: string,
    readonly filingDigestSha256: string,
    /** The corridor head the claim is about; default: the corridor's current head on this node. */
    readonly corridorHeadCommitmentSha256: string | undefined,
  ) {}
}
