/** The parties withdraw before the asset leaves the source (initiated … source_lock); compensation starts and ends the saga cancelled. */
export class CancelMigrationCommand {
  constructor(
    readonly migrationId: string,
    readonly reason: string,
  ) {}
}
