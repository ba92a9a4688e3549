/** An operator resolves a saga stuck in compensation_failed: the step was undone by hand, or is to be retried. */
export class ResolveCompensationFailureCommand {
  constructor(
    readonly migrationId: string,
    readonly operator: string,
    readonly resolution: string,
    readonly note: string,
    readonly evidenceDigestSha256: string | undefined,
  ) {}
}
