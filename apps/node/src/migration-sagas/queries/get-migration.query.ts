export class GetMigrationQuery {
  constructor(readonly migrationId: string) {}
}
