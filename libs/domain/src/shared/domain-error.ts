import { problemTypeUri } from '@corridor/protocol';

/**
 * Stable problem slugs of a refused command. Clients and the HTTP layer key on these (they become RFC 9457
 * problem `type` URIs); the human-readable `reason` may be reworded freely.
 */
export type DomainProblem =
  /** The command's own data is malformed (a missing field, a bad timestamp, an unknown enum value). */
  | 'invalid-command'
  /** A creation command reached an aggregate that already exists. */
  | 'already-exists'
  /** A command other than creation reached an aggregate that does not exist yet. */
  | 'not-found'
  /** The command names a different aggregate than the stream it was sent to. */
  | 'aggregate-mismatch'
  /** The command's time is earlier than the aggregate's last event: receipts never go back in time. */
  | 'clock-regression'
  /** The current state has no such transition. */
  | 'transition-not-allowed'
  /** Evidence the transition requires was not supplied. */
  | 'evidence-missing'
  /** Evidence was supplied but does not verify or does not say what is required. */
  | 'invalid-evidence'
  /** Agreement credentials verify but do not meet the activation thresholds. */
  | 'thresholds-not-met'
  /** The authorization is missing or not signed by someone entitled to give it. */
  | 'unauthorized'
  /** A transition was submitted to a corridor that is not ACTIVE. */
  | 'corridor-not-active'
  /** The transition kind is not in the governance registry. */
  | 'unknown-transition-kind'
  /** The transition itself cannot be enveloped (e.g. a payload digest mismatch). */
  | 'invalid-transition'
  /** A deadline has passed, so the command is too late. */
  | 'deadline-passed'
  /** A deadline has not passed yet, so the command is too early. */
  | 'deadline-not-reached'
  /** A retry was attempted before its scheduled time. */
  | 'retry-not-due'
  /** An amount or currency is malformed or out of range. */
  | 'invalid-amount'
  /** The watcher is banned and can never bond again. */
  | 'watcher-banned'
  /** The corridor is outside the bond's scope. */
  | 'out-of-scope'
  /** The bond is still inside its unlock period. */
  | 'still-locked'
  /** The same incident was already slashed. */
  | 'already-slashed'
  /** The party already consented to the settlement. */
  | 'already-consented'
  /** The ruling's appeal period is still running. */
  | 'appeal-period-running'
  /** Escrow is still held, so the dispute cannot close. */
  | 'escrow-outstanding'
  /** Finality was already recorded at this head or a later one. */
  | 'stale-quorum';

/**
 * A refused command. Deciders throw it; nothing is appended. `reason` names the state the aggregate is in and
 * the thing that is missing or wrong, so an operator can act on it without reading code.
 */
export class DomainError extends Error {
  readonly type: string;

  constructor(
    readonly problem: DomainProblem,
    readonly reason: string,
  ) {
    super(`${problem}: ${reason}`);
    this.name = 'DomainError';
    this.type = problemTypeUri(problem);
  }
}

export function refuse(problem: DomainProblem, reason: string): never {
  throw new DomainError(problem, reason);
}
