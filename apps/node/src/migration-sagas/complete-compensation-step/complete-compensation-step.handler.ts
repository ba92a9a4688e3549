import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MigrationSagaCommands } from '../migration-saga-commands';
import { CompleteCompensationStepCommand } from './complete-compensation-step.command';

@CommandHandler(CompleteCompensationStepCommand)
export class CompleteCompensationStepHandler implements ICommandHandler<CompleteCompensationStepCommand> {
  constructor(private readonly sagas: MigrationSagaCommands) {}

  execute(c: CompleteCompensationStepCommand) {
    return this.sagas.run(c.migrationId, 'CompleteCompensationStep', { step: c.step, evidence_digest_sha256: c.evidenceDigestSha256 as string });
  }
}
