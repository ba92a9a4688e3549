/** An attempt at a compensation step failed; it is retried with back-off, and escalated after the last attempt. */
export class FailCompensationStepCommand {
  constructor(
    readonly migrationId: string,
    readonly step: string,
    readonly error: string,
  ) {}
}
