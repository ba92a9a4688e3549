/** Start migrating an asset over an ACTIVE corridor; it must complete by `deadline` or it is undone. */
export class StartMigrationCommand {
  constructor(
    readonly migrationId: string,
    readonly corridorId: string,
    readonly assetId: string,
    readonly sourceJurisdiction: string,
    readonly destinationJurisdiction: string,
    readonly deadline: string,
  ) {}
}
