import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { JsonObject } from '@corridor/protocol';
import { WatcherAttestations } from '../watcher-attestations';
import { SubmitAttestationCommand } from './submit-attestation.command';

@CommandHandler(SubmitAttestationCommand)
export class SubmitAttestationHandler implements ICommandHandler<SubmitAttestationCommand> {
  constructor(private readonly attestations: WatcherAttestations) {}

  execute(command: SubmitAttestationCommand): Promise<JsonObject> {
    return this.attestations.submit(command.corridorId, command.attestation);
  }
}
