/** The saga's deadline has passed: start undoing it. Issued by the deadline scheduler (or an operator). */
export class ExpireMigrationCommand {
  constructor(readonly migrationId: string) {}
}
