/** Close an enforced dispute with its final report (recorded by digest). */
export class CloseDisputeCommand {
  constructor(
    readonly disputeId: string,
    readonly finalReportDigestSha256: string,
  ) {}
}
