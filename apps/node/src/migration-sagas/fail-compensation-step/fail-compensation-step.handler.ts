import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { MigrationSagaCommands } from '../migration-saga-commands';
import { FailCompensationStepCommand } from './fail-compensation-step.command';

@CommandHandler(FailCompensationStepCommand)
export class FailCompensationStepHandler implements ICommandHandler<FailCompensationStepCommand> {
  constructor(private readonly sagas: MigrationSagaCommands) {}

  execute(c: FailCompensationStepCommand) {
    return this.sagas.run(c.migrationId, 'FailCompensationStep', { step: c.step, error: c.error });
  }
}
