import type { Decider, DomainCommand, DomainEvent, Versioned } from '@corridor/domain';
import type { ChainProfile } from '@corridor/ledger';
import type { StreamCodec } from './stream-codec';

/**
 * Everything the generic command path needs to know about one kind of aggregate: its decider, the streams its
 * events live in (one receipt chain each), which stream each new event goes to, and each stream's chain profile.
 */
export interface AggregateDefinition<C extends DomainCommand, E extends DomainEvent, S extends Versioned, V extends AggregateView<S> = AggregateView<S>> {
  readonly name: string;
  readonly decider: Decider<C, E, S>;
  /** Stream names of one aggregate instance, in the order their events are folded. */
  streams(id: string): readonly string[];
  /** The stream a new event is appended to. */
  streamOf(id: string, event: E): string;
  codec(stream: string): StreamCodec;
  /**
   * The chain profile of `stream`, given the view after the new events are folded (so a stream whose genesis
   * depends on what the events establish, like a corridor's state channel, can be started by them).
   */
  profile(id: string, stream: string, view: V): ChainProfile;
  /** Builds the node's view (state plus what the node keeps about the chains) from scratch. */
  emptyView(): V;
  /** Folds one stored event into the view (the decider's evolve, plus node-side facts). */
  fold(view: V, event: E, stream: string, revision: number): V;
}

/** The decider's state plus each stream's revision, for exact expected revisions on append. */
export interface AggregateView<S> {
  state: S;
  revisions: Record<string, number>;
}
