/** The phase `fromPhase` of the migration finished, evidenced by the digest of its evidence bundle. */
export class AdvanceMigrationCommand {
  constructor(
    readonly migrationId: string,
    readonly fromPhase: string,
    readonly evidenceDigestSha256: string | undefined,
  ) {}
}
