import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { problem } from '../../http/problem';
import { CorridorFacts } from '../../process-managers/corridor-facts';
import { DisputeCommands } from '../dispute-commands';
import { SubmitEvidenceCommand } from './submit-evidence.command';

@CommandHandler(SubmitEvidenceCommand)
export class SubmitEvidenceHandler implements ICommandHandler<SubmitEvidenceCommand> {
  constructor(
    private readonly disputes: DisputeCommands,
    private readonly corridors: CorridorFacts,
  ) {}

  async execute(c: SubmitEvidenceCommand) {
    const corridorId = (await this.disputes.view(c.disputeId)).state.corridor_id;
    if (corridorId === null) throw problem.notFound('dispute', c.disputeId);
    // The head every cited receipt's proof must lead to: this node's own chain, never the submitter's word.
    const head = await this.corridors.head(corridorId);
    return this.disputes.run(c.disputeId, 'SubmitEvidence', {
      package_id: c.packageId,
      submitted_by: c.submittedBy,
      corridor_head: { mmr_size: head.receipt_count, mmr_root: head.mmr_root },
      items: c.items.map((i) => ({ receipt_next_root: i.receipt_next_root, inclusion_proof: i.inclusion_proof, ...(i.description === undefined ? {} : { description: i.description }) })),
    });
  }
}
