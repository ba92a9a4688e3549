import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CorridorFacts } from '../../process-managers/corridor-facts';
import { DisputeCommands } from '../dispute-commands';
import { FileDisputeCommand } from './file-dispute.command';

@CommandHandler(FileDisputeCommand)
export class FileDisputeHandler implements ICommandHandler<FileDisputeCommand> {
  constructor(
    private readonly disputes: DisputeCommands,
    private readonly corridors: CorridorFacts,
  ) {}

  async execute(c: FileDisputeCommand) {
    // The corridor instance the dispute is bound to, from this node's own chain. A dispute that exists already is
    // refused by the decider (already-exists), whatever its corridor has become since.
    const existing = (await this.disputes.view(c.disputeId)).filed;
    const genesis = existing ? existing.corridor_genesis_root : await this.corridors.genesisRoot(c.corridorId);
    const head = c.corridorHeadCommitmentSha256 ?? (existing ? existing.corridor_head_commitment_sha256 : await this.corridors.headCommitment(c.corridorId));
    return this.disputes.run(c.disputeId, 'FileDispute', {
      corridor_id: c.corridorId,
      corridor_genesis_root: genesis,
      corridor_head_commitment_sha256: head,
      claimant: c.claimant,
      respondent: c.respondent,
      filing_digest_sha256: c.filingDigestSha256,
    });
  }
}
