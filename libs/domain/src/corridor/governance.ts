import { LIFECYCLE_KINDS } from './commands';
import { AUTHORIZATION_ROLES, EVIDENCE_CHECKS } from './evidence';
import { loadLifecycle, type LifecycleTable } from './lifecycle';
import { loadTransitionKinds, type TransitionKindRegistry } from './transition-kinds';

/** The lifecycle governance document exactly as shipped (read once at start-up). */
export const CORRIDOR_LIFECYCLE_DOCUMENT: unknown = require('@corridor/governance/corridor.lifecycle.state-machine.json');

/** The transition-kind registry document exactly as shipped. */
export const TRANSITION_KINDS_DOCUMENT: unknown = require('@corridor/governance/transition-kinds.json');

/** The lifecycle the corridor decider enforces; loading fails fast if the file asks for something unenforceable. */
export const CORRIDOR_LIFECYCLE: LifecycleTable = loadLifecycle(CORRIDOR_LIFECYCLE_DOCUMENT, {
  kinds: LIFECYCLE_KINDS,
  evidenceTypes: Object.keys(EVIDENCE_CHECKS),
  authorizations: AUTHORIZATION_ROLES,
});

export const TRANSITION_KINDS: TransitionKindRegistry = loadTransitionKinds(TRANSITION_KINDS_DOCUMENT);
