import { DomainError, type DomainProblem } from '@corridor/domain';
import { ProblemException } from './problem';

/** HTTP status of each refusal: 404 unknown, 409 wrong state or concurrency, 422 content that does not hold. */
const STATUS: Record<DomainProblem, number> = {
  'invalid-command': 400,
  'already-exists': 409,
  'not-found': 404,
  'aggregate-mismatch': 400,
  'clock-regression': 409,
  'transition-not-allowed': 409,
  'evidence-missing': 422,
  'invalid-evidence': 422,
  'thresholds-not-met': 422,
  unauthorized: 422,
  'corridor-not-active': 409,
  'unknown-transition-kind': 422,
  'invalid-transition': 422,
  'deadline-passed': 409,
  'deadline-not-reached': 409,
  'retry-not-due': 409,
  'invalid-amount': 422,
  'watcher-banned': 409,
  'out-of-scope': 422,
  'still-locked': 409,
  'already-slashed': 409,
  'stale-quorum': 409,
  'already-consented': 409,
  'appeal-period-running': 409,
  'escrow-outstanding': 409,
};

const TITLES: Partial<Record<DomainProblem, string>> = {
  'transition-not-allowed': 'Transition not allowed',
  'corridor-not-active': 'Corridor not active',
  'evidence-missing': 'Evidence missing',
  'invalid-evidence': 'Invalid evidence',
  'not-found': 'Not found',
  'already-exists': 'Already exists',
};

/** A decider's refusal as an RFC 9457 problem (nothing was appended). */
export function domainProblem(e: DomainError): ProblemException {
  const status = STATUS[e.problem] ?? 422;
  return new ProblemException(status, e.problem, TITLES[e.problem] ?? e.problem.replace(/-/g, ' ').replace(/^./, (c) => c.toUpperCase()), e.reason);
}
