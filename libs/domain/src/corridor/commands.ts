import type { DomainCommand } from '../shared/decider';

/**
 * Corridor commands. Each lifecycle command takes the transition of one `kind` in the governance lifecycle
 * file; which states it may leave, and what evidence it needs, come from that file.
 */
export const LIFECYCLE_COMMAND_KINDS = {
  SubmitCorridor: 'submit',
  ActivateCorridor: 'activate',
  HaltCorridor: 'halt',
  SuspendCorridor: 'suspend',
  ResumeCorridorFromHalt: 'resume_from_halt',
  ResumeCorridorFromSuspension: 'resume_from_suspension',
  DeprecateCorridor: 'deprecate',
} as const;

export type LifecycleCommandType = keyof typeof LIFECYCLE_COMMAND_KINDS;
export type LifecycleKind = (typeof LIFECYCLE_COMMAND_KINDS)[LifecycleCommandType];
export const LIFECYCLE_KINDS = Object.values(LIFECYCLE_COMMAND_KINDS) as LifecycleKind[];

/**
 * Creates the corridor in the lifecycle's initial state. `trust_anchors` is a trust-anchors document as the
 * reference writes it: `{trust_anchors: [{identifier: <did:key>, allowed_attestations: [<role>, ...]}]}`; roles
 * used here are `zone_authority` (lifecycle authorizations) and `corridor_agreement` (agreement signers).
 */
export type CreateCorridor = DomainCommand<'CreateCorridor', { corridor_id: string; trust_anchors: unknown }>;

/**
 * `evidence`: the credentials the transition requires (verified, types must cover the requirement).
 * `authorization`: for transitions the file marks with an authorization role, an
 * `MSEZCorridorLifecycleTransitionCredential` whose subject is `{corridor_id, from_state, to_state,
 * transitioned_at, reason?}`, signed by a trust anchor holding that role.
 */
export interface LifecycleCommandData {
  corridor_id: string;
  evidence?: unknown[];
  authorization?: unknown;
}

export type LifecycleCommand = {
  [T in LifecycleCommandType]: DomainCommand<T, LifecycleCommandData>;
}[LifecycleCommandType];

/**
 * Records a transition in an ACTIVE corridor. `transition` is `{kind, payload}` or a full
 * `MSEZTransitionEnvelope`; it is enveloped with the protocol's `makeTransitionEnvelope`.
 */
export type RecordCorridorTransition = DomainCommand<'RecordCorridorTransition', { corridor_id: string; transition: unknown }>;

/**
 * Records that a quorum of bonded watchers attested a state-channel head. The node verifies the attestations;
 * the corridor refuses a quorum that does not move finality forward.
 */
export type RecordWatcherQuorum = DomainCommand<'RecordWatcherQuorum', { corridor_id: string; quorum: unknown }>;

/** Replaces a zone's signing key from a state-channel sequence; evidence: one MSEZCorridorKeyRotationCredential. */
export type RotateSignerKey = DomainCommand<'RotateSignerKey', { corridor_id: string; evidence?: unknown[] }>;

export type CorridorCommand = CreateCorridor | LifecycleCommand | RecordCorridorTransition | RecordWatcherQuorum | RotateSignerKey;

export function isLifecycleCommand(command: CorridorCommand): command is LifecycleCommand {
  return Object.prototype.hasOwnProperty.call(LIFECYCLE_COMMAND_KINDS, command.type);
}
