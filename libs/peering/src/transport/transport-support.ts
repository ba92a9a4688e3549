/**
 * Small pieces the transports share: a logger shape that NestJS's `Logger` satisfies, exponential backoff, and the
 * signature of outgoing HTTP requests.
 */
import { signRequest, type Ed25519KeyPair } from '@corridor/protocol';

/** What the transports log through. NestJS's `Logger` and `console` both fit. */
export interface PeerTransportLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** Warnings and errors to the console; nothing else. */
export const consoleWarningsLogger: PeerTransportLogger = {
  log: () => undefined,
  debug: () => undefined,
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

/** Exponential backoff bounds: the first retry waits `initialMs`, each next one twice as long, never more than `maxMs`. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export function checkBackoff(options: BackoffOptions, what: string): BackoffOptions {
  const { initialMs, maxMs } = options;
  if (!Number.isFinite(initialMs) || initialMs < 1 || !Number.isFinite(maxMs) || maxMs < initialMs) {
    throw new RangeError(`${what}: need 1 <= initialMs <= maxMs, got initialMs=${initialMs} maxMs=${maxMs}`);
  }
  return { initialMs, maxMs };
}

/**
 * The wait before retry number `attempt` (1 = first retry): `initialMs · 2^(attempt-1)` plus up to 20 % jitter (so
 * retries of many nodes do not line up), capped at `maxMs`. The jitter never makes a wait shorter than the previous
 * one below the cap.
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 40);
  const base = options.initialMs * 2 ** exponent;
  return Math.round(Math.min(options.maxMs, base * (1 + 0.2 * random())));
}

/** Error text for logs, whatever was thrown (duck-typed: errors from another realm, e.g. undici's, count too). */
export function errorText(err: unknown): string {
  if (isErrorLike(err)) {
    const cause = (err as { cause?: unknown }).cause;
    const causeText = isErrorLike(cause) ? ` (${cause.message})` : '';
    return `${err.name}: ${err.message}${causeText}`;
  }
  return String(err);
}

/** True for a timeout of `AbortSignal.timeout` (a DOMException named TimeoutError). */
export function isTimeoutError(err: unknown): boolean {
  return isErrorLike(err) && err.name === 'TimeoutError';
}

function isErrorLike(value: unknown): value is { name: string; message: string } {
  return typeof value === 'object' && value !== null && typeof (value as Error).message === 'string' && typeof (value as Error).name === 'string';
}

/**
 * The `Authorization` header of a request signed by this node (`CorridorSig …`, spec/security.md): method, path and
 * query exactly as they go on the wire (`url` after URL normalisation, as fetch sends it), and the body as sent.
 * A fresh time and nonce every call, so every attempt of a retried request is signed anew.
 */
export function signedAuthorization(signer: Ed25519KeyPair, method: string, url: string, body?: string): string {
  const u = new URL(url);
  return signRequest({ method, path: u.pathname + u.search, body }, signer);
}
