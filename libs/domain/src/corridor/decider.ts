import type { Decider } from '../shared/decider';
import type { CorridorCommand } from './commands';
import { decideCorridor } from './decide';
import type { CorridorEvent } from './events';
import { evolveCorridor } from './evolve';
import { CORRIDOR_LIFECYCLE, TRANSITION_KINDS } from './governance';
import { initialCorridorState, type CorridorState } from './state';

/** The corridor aggregate, enforcing the shipped governance files. */
export const corridorDecider: Decider<CorridorCommand, CorridorEvent, CorridorState> = {
  decide: (command, state) => decideCorridor(command, state, { lifecycle: CORRIDOR_LIFECYCLE, transitionKinds: TRANSITION_KINDS }),
  evolve: evolveCorridor,
  initialState: initialCorridorState,
};
