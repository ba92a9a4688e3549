import { Injectable } from '@nestjs/common';
import { aggregateGenesis, RECEIPT_CHAINS, rulesetDigestSet, watcherBond, watcherBondDecider } from '@corridor/domain';
import type { ChainProfile } from '@corridor/ledger';
import type { AggregateDefinition, AggregateView } from '../aggregates/aggregate-definition';
import { eventEnvelopeCodec, type StreamCodec } from '../aggregates/stream-codec';

type BondState = watcherBond.WatcherBondState;
type BondEvent = watcherBond.WatcherBondEvent;
type BondCommand = watcherBond.WatcherBondCommand;

const CHAIN = RECEIPT_CHAINS['watcher-bond'];
const RULESETS = rulesetDigestSet(CHAIN);

/** A watcher is named by its did:key (no fragment). */
export const WATCHER_ID_PATTERN = /^did:key:z[1-9A-HJ-NP-Za-km-z]{1,200}$/;

export const WATCHER_BOND_STREAM_PREFIX = 'watcher_bond-';
export const watcherBondStream = (watcherId: string) => `${WATCHER_BOND_STREAM_PREFIX}${watcherId}`;

export type WatcherBondView = AggregateView<BondState>;

/**
 * The chain profile of a watcher's bond account (spec/receipt-chains.md): `MSEZWatcherBondReceipt` naming the
 * watcher by `watcher_id`, bound to no corridor (a bond covers several), committing to the slashing schedule.
 */
export function watcherBondChainProfile(watcherId: string): ChainProfile {
  return {
    receiptType: CHAIN.receiptType,
    subjectField: CHAIN.subjectField,
    subjectId: watcherId,
    genesisRoot: aggregateGenesis(CHAIN, { subject_id: watcherId }).genesis_root,
    lawpackDigestSet: [],
    rulesetDigestSet: RULESETS,
  };
}

/** A watcher's bond account: one receipt chain per watcher, `watcher_bond-<did:key>`, so a ban outlives the bond. */
@Injectable()
export class WatcherBondAggregate implements AggregateDefinition<BondCommand, BondEvent, BondState, WatcherBondView> {
  readonly name = 'watcher-bond';
  readonly decider = watcherBondDecider;

  streams(watcherId: string): string[] {
    return [watcherBondStream(watcherId)];
  }

  streamOf(watcherId: string): string {
    return watcherBondStream(watcherId);
  }

  codec(): StreamCodec {
    return eventEnvelopeCodec;
  }

  profile(watcherId: string): ChainProfile {
    return watcherBondChainProfile(watcherId);
  }

  emptyView(): WatcherBondView {
    return { state: watcherBondDecider.initialState(), revisions: {} };
  }

  fold(view: WatcherBondView, event: BondEvent, stream: string, revision: number): WatcherBondView {
    return { state: watcherBondDecider.evolve(view.state, event), revisions: { ...view.revisions, [stream]: revision } };
  }
}
