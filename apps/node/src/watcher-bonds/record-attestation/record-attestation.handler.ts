import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { WatcherBondCommands } from '../watcher-bond-commands';
import { RecordAttestationCommand } from './record-attestation.command';

@CommandHandler(RecordAttestationCommand)
export class RecordAttestationHandler implements ICommandHandler<RecordAttestationCommand> {
  constructor(private readonly bonds: WatcherBondCommands) {}

  execute(c: RecordAttestationCommand) {
    return this.bonds.run(c.watcherId, 'RecordAttestation', { corridor_id: c.corridorId, attestation_digest_sha256: c.attestationDigestSha256 });
  }
}
