import { Injectable } from '@nestjs/common';
import { corridor as corridorDomain, DomainError } from '@corridor/domain';
import { headCommitmentDigest } from '@corridor/protocol';
import { AggregateStore } from '../aggregates/aggregate-store';
import { ChainReader } from '../chains/chain-reader';
import { CorridorAggregate, stateChannelStream, type CorridorView } from '../corridors/corridor-aggregate';
import { problem } from '../http/problem';

/** The head of a corridor's state channel as this node's own chain records it. */
export interface CorridorHead {
  corridor_id: string;
  genesis_root: string;
  /** Number of receipts (= MMR size); 0 for a state channel nothing was recorded in yet. */
  receipt_count: number;
  /** next_root of the last receipt; the genesis root while the chain is empty. */
  final_state_root: string;
  /** MMR root; "" while the chain is empty (the protocol's empty root). */
  mmr_root: string;
}

/**
 * What the node knows about its own corridors that sagas and disputes are bound to: the state channel's genesis
 * root and its current head. Commands of those aggregates take these facts from here, never from the submitter.
 */
@Injectable()
export class CorridorFacts {
  constructor(
    private readonly store: AggregateStore,
    private readonly corridors: CorridorAggregate,
    private readonly chains: ChainReader,
  ) {}

  /** The corridor's view; 404 when this node has no such corridor. */
  private async view(corridorId: string): Promise<CorridorView & { stateChannel: NonNullable<CorridorView['stateChannel']> }> {
    const view = await this.store.load(this.corridors, corridorId);
    if (view.state.corridor_id === null) throw problem.notFound('corridor', corridorId);
    if (view.stateChannel === null) {
      throw new DomainError('corridor-not-active', `corridor ${corridorId} is ${view.state.lifecycle}; it has no state channel before it is activated`);
    }
    return view as CorridorView & { stateChannel: NonNullable<CorridorView['stateChannel']> };
  }

  /** Genesis root of the corridor's state channel (refused before activation). */
  async genesisRoot(corridorId: string): Promise<string> {
    return (await this.view(corridorId)).stateChannel.genesis_root;
  }

  /** Genesis root of a corridor that accepts transitions now (ACTIVE, per the lifecycle governance file). */
  async genesisRootOfAcceptingCorridor(corridorId: string): Promise<string> {
    const view = await this.view(corridorId);
    const accepting = corridorDomain.CORRIDOR_LIFECYCLE.acceptsTransitionsIn;
    if (!accepting.includes(view.state.lifecycle!)) {
      throw new DomainError('corridor-not-active', `corridor ${corridorId} is ${view.state.lifecycle}; it accepts transitions only in ${accepting.join(', ')}`);
    }
    return view.stateChannel.genesis_root;
  }

  /** The current head of the corridor's state channel. */
  async head(corridorId: string): Promise<CorridorHead> {
    const view = await this.view(corridorId);
    const genesis = view.stateChannel.genesis_root;
    const head = await this.chains.head(stateChannelStream(corridorId));
    return head
      ? { corridor_id: corridorId, genesis_root: genesis, receipt_count: head.mmr.size, final_state_root: head.nextRoot, mmr_root: head.mmr.root }
      : { corridor_id: corridorId, genesis_root: genesis, receipt_count: 0, final_state_root: genesis, mmr_root: '' };
  }

  /** The protocol's head commitment digest of the corridor's current head (what watchers attest). */
  async headCommitment(corridorId: string): Promise<string> {
    return headCommitmentDigest(await this.head(corridorId));
  }
}
