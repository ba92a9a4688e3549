/** A forward step failed for good; compensation starts and ends the saga compensated. */
export class FailMigrationCommand {
  constructor(
    readonly migrationId: string,
    readonly reason: string,
  ) {}
}
