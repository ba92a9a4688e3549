import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { JsonObject } from '@corridor/protocol';
import { AggregateStore } from '../../aggregates/aggregate-store';
import { ChainReader } from '../../chains/chain-reader';
import { problem } from '../../http/problem';
import { PeeringService } from '../../peering/peering.service';
import { CorridorAggregate, lifecycleStream, stateChannelStream } from '../corridor-aggregate';
import { GetCorridorQuery } from './get-corridor.query';

/** A corridor's state as its operator and peers see it: lifecycle, trust anchors, both chains' heads. */
@QueryHandler(GetCorridorQuery)
export class GetCorridorHandler implements IQueryHandler<GetCorridorQuery> {
  constructor(
    private readonly store: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly chains: ChainReader,
    private readonly peering: PeeringService,
  ) {}

  async execute({ corridorId }: GetCorridorQuery) {
    const view = await this.store.load(this.corridors, corridorId);
    if (view.state.corridor_id === null) throw problem.notFound('corridor', corridorId);
    const head = async (stream: string) => {
      const h = await this.chains.head(stream);
      return h ? { stream, sequence: h.revision, next_root: h.nextRoot, mmr: h.mmr } : { stream, sequence: null, next_root: null, mmr: null };
    };
    const s = view.state;
    const peering = await this.peering.peeringOf(corridorId);
    const channelHead = view.stateChannel ? await head(stateChannelStream(corridorId)) : null;
    return {
      corridor_id: s.corridor_id,
      state: s.lifecycle,
      since: s.since,
      updated_at: s.updated_at,
      trust_anchors: s.trust_anchors,
      definition_payload_sha256: s.definition?.payload_sha256 ?? null,
      agreement: s.agreement,
      open_fork: s.open_fork,
      transitions_recorded: s.transitions_recorded,
      state_channel: view.stateChannel ? { ...view.stateChannel, head: channelHead } : null,
      lifecycle_chain: await head(lifecycleStream(corridorId)),
      peering: peering ? this.peering.finality(peering) : null,
      watcher_quorum: s.watcher_quorum,
      finality: channelHead?.sequence == null ? null : finalityOf(channelHead.sequence + 1, s.watcher_quorum?.receipt_count, peering ? this.peering.finality(peering) : null),
    };
  }
}

/**
 * The finality of the state channel's head on the ladder `proposed < receipt_signed < checkpoint_signed <
 * watcher_quorum` (spec/peering.md §3, spec/watchers.md): a corridor kept alone is signed by its only signer.
 */
function finalityOf(size: number, quorumAt: number | undefined, peering: JsonObject | null): string {
  if (quorumAt === size) return 'watcher_quorum';
  if (!peering) return 'receipt_signed';
  const cp = peering.checkpoint_signed as JsonObject | null;
  if (cp && cp.receipt_count === size) return 'checkpoint_signed';
  return peering.receipt_signed_up_to === size - 1 ? 'receipt_signed' : 'proposed';
}
