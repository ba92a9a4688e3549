import type { Decider } from '../shared/decider';
import type { WatcherBondCommand } from './commands';
import { decideWatcherBond } from './decide';
import type { WatcherBondEvent } from './events';
import { evolveWatcherBond } from './evolve';
import { WATCHER_BOND_POLICY } from './slashing';
import { initialWatcherBondState, type WatcherBondState } from './state';

/** A watcher's bond account, enforcing the shipped slashing schedule. */
export const watcherBondDecider: Decider<WatcherBondCommand, WatcherBondEvent, WatcherBondState> = {
  decide: (command, state) => decideWatcherBond(command, state, WATCHER_BOND_POLICY),
  evolve: evolveWatcherBond,
  initialState: initialWatcherBondState,
};
