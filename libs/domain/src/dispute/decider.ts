import type { Decider } from '../shared/decider';
import type { DisputeCommand } from './commands';
import { decideDispute } from './decide';
import type { DisputeEvent } from './events';
import { evolveDispute } from './evolve';
import { initialDisputeState, type DisputeState } from './state';

/** The dispute aggregate. */
export const disputeDecider: Decider<DisputeCommand, DisputeEvent, DisputeState> = {
  decide: decideDispute,
  evolve: evolveDispute,
  initialState: initialDisputeState,
};
