import { Injectable } from '@nestjs/common';
import { corridor as corridorDomain, corridorDecider, type DomainEvent } from '@corridor/domain';
import { corridorGenesis, digestOf, type CorridorModule, type JsonObject, type TransitionEnvelope } from '@corridor/protocol';
import type { ChainProfile } from '@corridor/ledger';
import type { AggregateDefinition, AggregateView } from '../aggregates/aggregate-definition';
import { eventEnvelopeCodec, type StreamCodec } from '../aggregates/stream-codec';

type CorridorState = corridorDomain.CorridorState;
type CorridorEvent = corridorDomain.CorridorEvent;
type CorridorCommand = corridorDomain.CorridorCommand;

const T = corridorDomain.CORRIDOR_EVENT_TYPES;

/** The node's ruleset descriptors: their digests form every corridor's ruleset digest set (as in the reference). */
export const RULESET_DESCRIPTORS: Record<string, JsonObject> = {
  'msez.corridor.verification.v1': require('@corridor/governance/rulesets/msez.corridor.verification.v1.json'),
  'msez.corridor.state-transition.v2': require('@corridor/governance/rulesets/msez.corridor.state-transition.v2.json'),
};

export const LIFECYCLE_RECEIPT_TYPE = 'MSEZCorridorLifecycleReceipt';
export const LIFECYCLE_GENESIS_TAG = 'msez.corridor.lifecycle.genesis.v1';

export const lifecycleStream = (id: string) => `corridor_lifecycle-${id}`;
export const stateChannelStream = (id: string) => `corridor-${id}`;

/** The corridor as the node keeps it: the decider's state, stream revisions, and what its state channel commits to. */
export interface CorridorView extends AggregateView<CorridorState> {
  /** The agreement credentials the corridor was activated with (their payload digests feed the genesis root). */
  agreementVcs: JsonObject[];
  stateChannel: { genesis_root: string; lawpack_digest_set: string[]; ruleset_digest_set: string[] } | null;
}

/**
 * The corridor module as the reference lays it out, rebuilt from what the lifecycle recorded: the definition
 * submitted, the agreements activated with, the trust anchors created with, the node's ruleset descriptors.
 * `corridor chain verify` computes the same genesis from the same files.
 */
export function corridorModuleOf(state: CorridorState, agreementVcs: JsonObject[]): CorridorModule {
  const paths = agreementVcs.map((_, i) => `corridor.agreement.${i}.vc.json`);
  return {
    manifest: {
      corridor_id: state.corridor_id!,
      definition_vc_path: 'corridor.vc.json',
      agreement_vc_path: paths,
      trust_anchors_path: 'trust-anchors.yaml',
      verification_ruleset: 'msez.corridor.verification.v1',
      state_channel: { transition_ruleset: 'msez.corridor.state-transition.v2' },
    },
    definitionVc: state.definition!.credential,
    agreementVcs: Object.fromEntries(paths.map((p, i) => [p, agreementVcs[i]!])),
    trustAnchors: { trust_anchors: state.trust_anchors.map((a) => ({ identifier: a.did, allowed_attestations: a.allowed_attestations })) },
    rulesetDescriptors: RULESET_DESCRIPTORS,
  };
}

/**
 * The state channel's receipts ARE the recorded transitions (the reference's layout): the receipt's transition
 * is the recorded envelope itself, and decoding rebuilds the `transition-recorded` event from the receipt.
 */
const stateChannelCodec: StreamCodec = {
  toTransition: (event) => (event.data as unknown as corridorDomain.TransitionRecordedData).transition,
  fromReceipt: (_type, receipt) => ({
    type: T.transitionRecorded,
    data: { corridor_id: receipt.corridor_id, at: receipt.timestamp, ordinal: (receipt.sequence as number) + 1, transition: receipt.transition as TransitionEnvelope },
  }),
};

@Injectable()
export class CorridorAggregate implements AggregateDefinition<CorridorCommand, CorridorEvent, CorridorState, CorridorView> {
  readonly name = 'corridor';
  readonly decider = corridorDecider;
  private readonly lifecycleRulesets = [digestOf(corridorDomain.CORRIDOR_LIFECYCLE_DOCUMENT)];

  streams(id: string): string[] {
    return [lifecycleStream(id), stateChannelStream(id)];
  }

  streamOf(id: string, event: CorridorEvent): string {
    return event.type === T.transitionRecorded ? stateChannelStream(id) : lifecycleStream(id);
  }

  codec(stream: string): StreamCodec {
    return stream.startsWith('corridor-') ? stateChannelCodec : eventEnvelopeCodec;
  }

  profile(id: string, stream: string, view: CorridorView): ChainProfile {
    if (stream === lifecycleStream(id)) {
      return {
        receiptType: LIFECYCLE_RECEIPT_TYPE,
        subjectField: 'corridor_id',
        subjectId: id,
        genesisRoot: lifecycleGenesisRoot(id, this.lifecycleRulesets),
        lawpackDigestSet: [],
        rulesetDigestSet: this.lifecycleRulesets,
      };
    }
    if (!view.stateChannel) throw new Error(`corridor ${id} has no state channel before activation`);
    return {
      receiptType: 'MSEZCorridorStateReceipt',
      subjectField: 'corridor_id',
      subjectId: id,
      genesisRoot: view.stateChannel.genesis_root,
      lawpackDigestSet: view.stateChannel.lawpack_digest_set,
      rulesetDigestSet: view.stateChannel.ruleset_digest_set,
    };
  }

  emptyView(): CorridorView {
    return { state: corridorDecider.initialState(), revisions: {}, agreementVcs: [], stateChannel: null };
  }

  fold(view: CorridorView, event: CorridorEvent, stream: string, revision: number): CorridorView {
    const state = corridorDecider.evolve(view.state, event);
    let { agreementVcs, stateChannel } = view;
    if (event.type === T.activated) {
      agreementVcs = (event.data as corridorDomain.LifecycleTransitionData).evidence.map((e) => e.credential);
      const g = corridorGenesis(corridorModuleOf(state, agreementVcs));
      stateChannel = { genesis_root: g.genesis_root, lawpack_digest_set: g.lawpack_digest_set, ruleset_digest_set: g.ruleset_digest_set };
    }
    return { state, revisions: { ...view.revisions, [stream]: revision }, agreementVcs, stateChannel };
  }
}

/** Genesis of a corridor's lifecycle chain (ours; the reference keeps lifecycle out of the chain). */
export function lifecycleGenesisRoot(corridorId: string, rulesetDigestSet: string[]): string {
  return digestOf({ tag: LIFECYCLE_GENESIS_TAG, corridor_id: corridorId, ruleset_digest_set: rulesetDigestSet });
}

export type { DomainEvent };
