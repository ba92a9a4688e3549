import type { Request } from 'express';

/** The principals of a node (spec/security.md §1). */
export const ROLES = ['operator', 'peer', 'watcher', 'auditor', 'regulator'] as const;
export type Role = (typeof ROLES)[number];

/** Roles that authenticate with a bearer token (people and services). */
export const BEARER_ROLES: readonly Role[] = ['operator', 'auditor', 'regulator'];
/** Roles that authenticate by signing the request with their did:key (nodes and watchers). */
export const SIGNATURE_ROLES: readonly Role[] = ['peer', 'watcher'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/**
 * Who a request was allowed as: a configured name (bearer tokens) or the did:key that signed it (peers, watchers).
 */
export interface Principal {
  readonly name: string;
  readonly role: Role;
}

const PRINCIPAL = Symbol.for('corridor-ledger.principal');

/** The principal a request was allowed as (set by the security gate; undefined on public endpoints). */
export function principalOf(req: Request): Principal | undefined {
  return (req as unknown as Record<symbol, Principal | undefined>)[PRINCIPAL];
}

export function setPrincipal(req: Request, principal: Principal): void {
  (req as unknown as Record<symbol, Principal | undefined>)[PRINCIPAL] = principal;
}
