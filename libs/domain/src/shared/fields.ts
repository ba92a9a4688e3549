import { isDigest, isJsonObject, publicKeyFromDidKey, type JsonObject } from '@corridor/protocol';
import { refuse, type DomainProblem } from './domain-error';

/**
 * Field checks for command data. Commands arrive from HTTP, Kafka and scripts, so the decider trusts nothing about
 * their shape; every failure names the field.
 */

export function requireObject(value: unknown, field: string, problem: DomainProblem = 'invalid-command'): JsonObject {
  if (!isJsonObject(value)) refuse(problem, `${field} must be an object`);
  return value;
}

export function requireText(value: unknown, field: string, problem: DomainProblem = 'invalid-command'): string {
  if (typeof value !== 'string' || value.trim() === '' || value !== value.trim()) {
    refuse(problem, `${field} must be a non-empty string without surrounding spaces, got ${JSON.stringify(value ?? null)}`);
  }
  return value;
}

export function requireDigest(value: unknown, field: string, problem: DomainProblem = 'invalid-command'): string {
  if (!isDigest(value)) refuse(problem, `${field} must be a SHA-256 digest (64 lowercase hex), got ${JSON.stringify(value ?? null)}`);
  return value;
}

export function requireNonNegativeInteger(value: unknown, field: string, problem: DomainProblem = 'invalid-command'): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    refuse(problem, `${field} must be a non-negative integer, got ${JSON.stringify(value ?? null)}`);
  }
  return value;
}

/** A did:key (the only DID method the protocol verifies signatures for), without fragment. */
export function requireDidKey(value: unknown, field: string, problem: DomainProblem = 'invalid-command'): string {
  if (typeof value !== 'string' || value.includes('#')) refuse(problem, `${field} must be a did:key without fragment, got ${JSON.stringify(value ?? null)}`);
  try {
    publicKeyFromDidKey(value);
  } catch (e) {
    refuse(problem, `${field} is not a usable did:key: ${(e as Error).message}`);
  }
  return value;
}

export function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    refuse('invalid-command', `${field} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value ?? null)}`);
  }
  return value as T;
}

export function requireSameId(commandId: unknown, stateId: string, field: string): void {
  if (commandId !== stateId) {
    refuse('aggregate-mismatch', `${field} ${JSON.stringify(commandId ?? null)} does not name this aggregate (${stateId})`);
  }
}
