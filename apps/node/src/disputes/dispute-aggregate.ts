import { Injectable } from '@nestjs/common';
import { aggregateGenesis, dispute, disputeDecider, RECEIPT_CHAINS, rulesetDigestSet } from '@corridor/domain';
import type { ChainProfile } from '@corridor/ledger';
import type { AggregateDefinition, AggregateView } from '../aggregates/aggregate-definition';
import { eventEnvelopeCodec, type StreamCodec } from '../aggregates/stream-codec';

type DisputeState = dispute.DisputeState;
type DisputeEvent = dispute.DisputeEvent;
type DisputeCommand = dispute.DisputeCommand;

const CHAIN = RECEIPT_CHAINS.dispute;
const RULESETS = rulesetDigestSet(CHAIN);

/** Dispute ids name streams and URL segments: lower-case letters, digits, dots, dashes, underscores. */
export const DISPUTE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,199}$/;

export const DISPUTE_STREAM_PREFIX = 'dispute-';
export const disputeStream = (id: string) => `${DISPUTE_STREAM_PREFIX}${id}`;

/** What the dispute was filed with that its decider state does not keep. */
export interface DisputeFilingFacts {
  corridor_genesis_root: string;
  corridor_head_commitment_sha256: string;
  filing_digest_sha256: string;
  filed_at: string;
}

export interface DisputeView extends AggregateView<DisputeState> {
  filed: DisputeFilingFacts | null;
}

/**
 * The chain profile of a dispute's receipt chain (spec/receipt-chains.md): `MSEZDisputeReceipt` naming the
 * dispute by `dispute_id`, carrying its `corridor_id`, chained from a genesis bound to the corridor instance (the
 * corridor genesis root recorded at filing), with an empty ruleset digest set (no governance file).
 */
export function disputeChainProfile(id: string, view: DisputeView): ChainProfile {
  const corridorId = view.state.corridor_id;
  if (corridorId === null || view.filed === null) throw new Error(`dispute ${id} has no receipt chain before it is filed`);
  return {
    receiptType: CHAIN.receiptType,
    subjectField: CHAIN.subjectField,
    subjectId: id,
    extraFields: { corridor_id: corridorId },
    genesisRoot: aggregateGenesis(CHAIN, { subject_id: id, corridor_id: corridorId, corridor_genesis_root: view.filed.corridor_genesis_root }).genesis_root,
    lawpackDigestSet: [],
    rulesetDigestSet: RULESETS,
  };
}

/** A dispute over a corridor: one receipt chain, `dispute-<dispute_id>`. */
@Injectable()
export class DisputeAggregate implements AggregateDefinition<DisputeCommand, DisputeEvent, DisputeState, DisputeView> {
  readonly name = 'dispute';
  readonly decider = disputeDecider;

  streams(id: string): string[] {
    return [disputeStream(id)];
  }

  streamOf(id: string): string {
    return disputeStream(id);
  }

  codec(): StreamCodec {
    return eventEnvelopeCodec;
  }

  profile(id: string, _stream: string, view: DisputeView): ChainProfile {
    return disputeChainProfile(id, view);
  }

  emptyView(): DisputeView {
    return { state: disputeDecider.initialState(), revisions: {}, filed: null };
  }

  fold(view: DisputeView, event: DisputeEvent, stream: string, revision: number): DisputeView {
    let filed = view.filed;
    if (event.type === dispute.DISPUTE_EVENT_TYPES.filed) {
      const d = event.data as dispute.DisputeFiledData;
      filed = { corridor_genesis_root: d.corridor_genesis_root, corridor_head_commitment_sha256: d.corridor_head_commitment_sha256, filing_digest_sha256: d.filing_digest_sha256, filed_at: d.at };
    }
    return { state: disputeDecider.evolve(view.state, event), revisions: { ...view.revisions, [stream]: revision }, filed };
  }
}
