import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MigrationSagaCommands } from '../migration-saga-commands';
import { ResolveCompensationFailureCommand } from './resolve-compensation-failure.command';

@CommandHandler(ResolveCompensationFailureCommand)
export class ResolveCompensationFailureHandler implements ICommandHandler<ResolveCompensationFailureCommand> {
  constructor(private readonly sagas: MigrationSagaCommands) {}

  execute(c: ResolveCompensationFailureCommand) {
    return this.sagas.run(c.migrationId, 'ResolveCompensationFailure', {
      operator: c.operator,
      resolution: c.resolution as 'compensated_manually' | 'retry',
      note: c.note,
      ...(c.evidenceDigestSha256 === undefined ? {} : { evidence_digest_sha256: c.evidenceDigestSha256 }),
    });
  }
}
