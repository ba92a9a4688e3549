import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { AggregateStore } from '../../aggregates/aggregate-store';
import { ChainReader } from '../../chains/chain-reader';
import { problem } from '../../http/problem';
import { WatcherBondAggregate, watcherBondStream } from '../watcher-bond-aggregate';
import { GetWatcherBondQuery } from './get-watcher-bond.query';

/** A watcher's bond account: status, the current bond (collateral, slashed, remaining), ban, chain head. */
@QueryHandler(GetWatcherBondQuery)
export class GetWatcherBondHandler implements IQueryHandler<GetWatcherBondQuery> {
  constructor(
    private readonly store: AggregateStore,
    private readonly bonds: WatcherBondAggregate,
    private readonly chains: ChainReader,
  ) {}

  async execute({ watcherId }: GetWatcherBondQuery) {
    const s = (await this.store.load(this.bonds, watcherId)).state;
    if (s.watcher_id === null) throw problem.notFound('watcher bond account', watcherId);
    const stream = watcherBondStream(watcherId);
    const head = await this.chains.head(stream);
    return {
      watcher_id: s.watcher_id,
      status: s.status,
      bond: s.bond,
      bond_ids: s.bond_ids,
      slashed_incidents: s.slashed_incidents,
      ban: s.ban,
      updated_at: s.updated_at,
      chain: head ? { stream, sequence: head.revision, next_root: head.nextRoot, mmr: head.mmr } : { stream, sequence: null, next_root: null, mmr: null },
    };
  }
}
