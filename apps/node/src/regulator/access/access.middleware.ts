import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { canonicalize, PROBLEM_BASE_URI } from '@corridor/protocol';
import type { AuditTrailStore } from '../audit/audit-trail.store';
import { AUDIT_TRAIL, PRINCIPAL_DIRECTORY } from './access.tokens';
import type { Principal, PrincipalDirectory, Role } from './principals';

/** The guarded surfaces: a path prefix and the role it needs. */
const SURFACES: readonly { prefix: string; role: Role }[] = [
  { prefix: '/regulator', role: 'regulator' },
  { prefix: '/console', role: 'regulator' },
  { prefix: '/audit', role: 'auditor' },
  { prefix: '/admin', role: 'admin' },
];

export function surfaceOf(path: string): { prefix: string; role: Role } | undefined {
  return SURFACES.find((s) => path === s.prefix || path.startsWith(`${s.prefix}/`));
}

/** The principal a guarded request was allowed as (set by the access middleware). */
export function principalOf(req: Request): Principal | undefined {
  return (req as Request & { principal?: Principal }).principal;
}

function queryOf(url: URL): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/**
 * Access to the regulator API, the console, the audit trail and the admin endpoints: a bearer token mapped to a
 * principal and a role. Every request to these surfaces is put on the audit trail (durably, before it is
 * handled) with who, what and when — denials included: 401 without a known token, 403 with a token of another
 * role.
 */
@Injectable()
export class AccessMiddleware implements NestMiddleware {
  constructor(
    @Inject(PRINCIPAL_DIRECTORY) private readonly principals: PrincipalDirectory,
    @Inject(AUDIT_TRAIL) private readonly trail: AuditTrailStore,
  ) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const url = new URL(req.originalUrl ?? req.url, 'http://node.invalid');
    const surface = surfaceOf(url.pathname);
    if (!surface) return next();
    const at = new Date();
    const base = { at, method: req.method, path: url.pathname, query: queryOf(url), remote: req.socket.remoteAddress ?? null };

    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer[ ]+([\x21-\x7e]{1,512})[ ]*$/i.exec(header) : null;
    const found = match ? this.principals.resolve(match[1]!) : [];
    const allowed = found.find((p) => p.role === surface.role);
    if (!allowed) {
      const [status, reason] = !header
        ? [401, 'no bearer token']
        : !match
          ? [401, 'malformed Authorization header (expected: Bearer <token>)']
          : found.length === 0
            ? [401, 'unknown token']
            : [403, `${found.map((p) => `${p.name} (${p.role})`).join(', ')} may not use ${surface.prefix}, which needs the ${surface.role} role`];
      const who = found[0];
      this.trail.record({ ...base, principal: who?.name ?? null, role: who?.role ?? null, decision: 'denied', reason, status });
      const doc = {
        type: PROBLEM_BASE_URI + (status === 401 ? 'unauthenticated' : 'forbidden'),
        title: status === 401 ? 'Unauthenticated' : 'Forbidden',
        status,
        detail: status === 401 ? `${surface.prefix} needs a bearer token of a ${surface.role}: ${reason}` : reason,
        instance: url.pathname,
      };
      res.status(status);
      if (status === 401) res.setHeader('WWW-Authenticate', `Bearer realm="corridor-ledger", scope="${surface.role}"`);
      res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
      res.end(canonicalize(doc));
      return;
    }
    const id = this.trail.record({ ...base, principal: allowed.name, role: allowed.role, decision: 'allowed', reason: null, status: null });
    res.on('finish', () => this.trail.setStatus(id, res.statusCode));
    (req as Request & { principal?: Principal }).principal = allowed;
    next();
  }
}
