import { Injectable } from '@nestjs/common';
import type { watcherBond } from '@corridor/domain';
import { AggregateStore, type CommandOutcome } from '../aggregates/aggregate-store';
import { Clock } from '../aggregates/clock';
import { WatcherBondAggregate, type WatcherBondView } from './watcher-bond-aggregate';

type CommandOf<T extends watcherBond.WatcherBondCommand['type']> = Extract<watcherBond.WatcherBondCommand, { type: T }>;

/** Runs a watcher bond command on the generic command path at the node's time. */
@Injectable()
export class WatcherBondCommands {
  constructor(
    private readonly store: AggregateStore,
    private readonly bonds: WatcherBondAggregate,
    private readonly clock: Clock,
  ) {}

  run<T extends watcherBond.WatcherBondCommand['type']>(watcherId: string, type: T, data: Omit<CommandOf<T>['data'], 'watcher_id'>): Promise<CommandOutcome<WatcherBondView>> {
    return this.store.execute(this.bonds, watcherId, { type, at: this.clock.nowUtc(), data: { ...data, watcher_id: watcherId } });
  }
}
