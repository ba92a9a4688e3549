import { problemTypeUri } from '@corridor/protocol';
import { describeExpected, NO_STREAM, type ExpectedRevision, type StreamRevision } from './event-store.port';

/** An RFC 9457 problem document. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  [extension: string]: unknown;
}

/**
 * Base of every ledger error: a stable problem `type` URI and HTTP status, so the HTTP layer maps errors to
 * RFC 9457 responses without knowing each class.
 */
export abstract class LedgerError extends Error {
  abstract readonly code: string;
  abstract readonly title: string;
  abstract readonly status: number;

  get type(): string {
    return problemTypeUri(this.code);
  }

  protected extensions(): Record<string, unknown> {
    return {};
  }

  toProblem(): ProblemDetails {
    return { type: this.type, title: this.title, status: this.status, detail: this.message, ...this.extensions() };
  }
}

/** Optimistic concurrency: the stream is not at the revision the writer based its decision on. */
export class WrongExpectedRevisionError extends LedgerError {
  readonly code = 'wrong-expected-revision';
  readonly title = 'Wrong expected revision';
  readonly status = 409;

  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** The stream's actual last revision, or `no_stream`. */
    readonly actual: StreamRevision | typeof NO_STREAM,
  ) {
    super(`append to ${stream} expected ${describeExpected(expected)} but the stream is at ${describeExpected(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }

  protected override extensions(): Record<string, unknown> {
    return { stream: this.stream, expectedRevision: this.expected, actualRevision: this.actual };
  }
}

/** The store cannot be reached or refused the operation for a reason other than concurrency. */
export class EventStoreUnavailableError extends LedgerError {
  readonly code = 'event-store-unavailable';
  readonly title = 'Event store unavailable';
  readonly status = 503;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailableError';
  }
}

/** A request for a part of a chain that does not exist (a height beyond the head, an unknown leaf). */
export class ChainRangeError extends LedgerError {
  readonly code = 'chain-range';
  readonly title = 'Outside the chain';
  readonly status = 404;

  constructor(
    readonly stream: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChainRangeError';
  }

  protected override extensions(): Record<string, unknown> {
    return { stream: this.stream };
  }
}

/** What is stored does not form a valid chain (tampering or a bug): never served as if it were fine. */
export class ChainIntegrityError extends LedgerError {
  readonly code = 'chain-integrity';
  readonly title = 'Stored chain is inconsistent';
  readonly status = 500;

  constructor(
    readonly stream: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChainIntegrityError';
  }

  protected override extensions(): Record<string, unknown> {
    return { stream: this.stream };
  }
}

/** A request the chain writer refuses before touching the store (an invalid transition, a bad option). */
export class InvalidAppendError extends LedgerError {
  readonly code = 'invalid-append';
  readonly title = 'Invalid append';
  readonly status = 422;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidAppendError';
  }
}
