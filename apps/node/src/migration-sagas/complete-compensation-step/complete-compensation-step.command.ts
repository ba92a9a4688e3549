/** A compensation step was undone (reported by whoever ran it), evidenced by the digest of what was done. */
export class CompleteCompensationStepCommand {
  constructor(
    readonly migrationId: string,
    readonly step: string,
    readonly evidenceDigestSha256: string | undefined,
  ) {}
}
