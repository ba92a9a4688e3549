import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DisputeCommands } from '../dispute-commands';
import { OpenEvidenceCollectionCommand } from './open-evidence-collection.command';

@CommandHandler(OpenEvidenceCollectionCommand)
export class OpenEvidenceCollectionHandler implements ICommandHandler<OpenEvidenceCollectionCommand> {
  constructor(private readonly disputes: DisputeCommands) {}

  execute(c: OpenEvidenceCollectionCommand) {
    return this.disputes.run(c.disputeId, 'OpenEvidenceCollection', { procedural_order_digest_sha256: c.proceduralOrderDigestSha256, evidence_deadline: c.evidenceDeadline });
  }
}
