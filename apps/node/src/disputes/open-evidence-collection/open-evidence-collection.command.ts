/** A procedural order opens evidence collection until `evidenceDeadline`. */
export class OpenEvidenceCollectionCommand {
  constructor(
    readonly disputeId: string,
    readonly proceduralOrderDigestSha256: string,
    readonly evidenceDeadline: string,
  ) {}
}
