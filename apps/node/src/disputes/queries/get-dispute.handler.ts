import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AggregateStore } from '../../aggregates/aggregate-store';
import { ChainReader } from '../../chains/chain-reader';
import { problem } from '../../http/problem';
import { DisputeAggregate, disputeStream } from '../dispute-aggregate';
import { GetDisputeQuery } from './get-dispute.query';

/** A dispute as the parties and the institution see it: status, parties, ruling, consents, escrow, chain head. */
@QueryHandler(GetDisputeQuery)
export class GetDisputeHandler implements IQueryHandler<GetDisputeQuery> {
  constructor(
    private readonly store: AggregateStore,
    private readonly disputes: DisputeAggregate,
    private readonly chains: ChainReader,
  ) {}

  async execute({ disputeId }: GetDisputeQuery) {
    const view = await this.store.load(this.disputes, disputeId);
    const s = view.state;
    if (s.dispute_id === null || view.filed === null) throw problem.notFound('dispute', disputeId);
    const stream = disputeStream(disputeId);
    const head = await this.chains.head(stream);
    return {
      dispute_id: s.dispute_id,
      corridor_id: s.corridor_id,
      corridor_genesis_root: view.filed.corridor_genesis_root,
      corridor_head_commitment_sha256: view.filed.corridor_head_commitment_sha256,
      filing_digest_sha256: view.filed.filing_digest_sha256,
      filed_at: view.filed.filed_at,
      status: s.status,
      claimant: s.claimant,
      respondent: s.respondent,
      arbitrator: s.arbitrator,
      evidence_deadline: s.evidence_deadline,
      evidence_packages: s.evidence_packages,
      ruling: s.ruling,
      consents: s.consents,
      escrows: s.escrows,
      updated_at: s.updated_at,
      chain: head ? { stream, sequence: head.revision, next_root: head.nextRoot, mmr: head.mmr } : { stream, sequence: null, next_root: null, mmr: null },
    };
  }
}
