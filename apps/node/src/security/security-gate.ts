import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { canonicalize, parseRequestSignature, PROBLEM_BASE_URI, REQUEST_SIGNATURE_SCHEME, verifyRequestSignature, type SignedRequestParts } from '@corridor/protocol';
import type { NodeConfig } from '../config/node-config';
import { NODE_CONFIG } from '../infrastructure/tokens';
import { AUDIT_TRAIL, PRINCIPAL_DIRECTORY } from '../regulator/access/access.tokens';
import type { AuditTrailStore } from '../regulator/audit/audit-trail.store';
import type { AccessMatrix, RateLimit } from './access-matrix';
import type { PrincipalDirectory } from './bearer-tokens';
import type { NonceCache } from './nonce-cache';
import type { RateDecision, RateLimiter } from './rate-limiter';
import { setPrincipal, SIGNATURE_ROLES, type Principal, type Role } from './roles';
import { RouteIndex, type MatchedRoute } from './route-index';
import { SignedPrincipals } from './signed-principals';
import { ACCESS_MATRIX, NONCE_CACHE, RATE_LIMITER } from './tokens';

const BEARER = /^Bearer +([\x21-\x7e]{1,512}) *$/i;
const REALM = 'realm="corridor-ledger"';

/** What the gate learnt about a request before its body was read. */
interface GateState {
  /** Arrival (ms since the epoch). */
  readonly at: number;
  readonly path: string;
  readonly route: MatchedRoute | undefined;
  readonly audited: boolean;
  /** A did-signed request whose signature is checked once the body is read. */
  pending?: { parts: SignedRequestParts; roles: Role[] };
}

const STATE = Symbol.for('corridor-ledger.gate');

interface Denial {
  readonly status: 401 | 403 | 404 | 415 | 429 | 503;
  readonly reason: string;
  /** The principal a 403/429 concerns (null: none authenticated). */
  readonly principal?: Principal | null;
  readonly retryAfterMs?: number;
}

const TITLES: Record<Denial['status'], [string, string]> = {
  401: ['unauthenticated', 'Unauthenticated'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  429: ['rate-limited', 'Too many requests'],
  503: ['replay-cache-full', 'Service unavailable'],
};

/** The path of a request target (origin-form), raw, without the query; undefined for any other form. */
function pathOf(url: string): string | undefined {
  if (url.charCodeAt(0) !== 47 /* / */) return undefined;
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

function queryOf(url: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const q = url.indexOf('?');
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Logs denials, at most `burst` lines per interval (a flood of refused requests must not flood the log). */
class DenialLog {
  private windowStart = 0;
  private lines = 0;
  private suppressed = 0;

  constructor(
    private readonly logger: Logger,
    private readonly burst = 20,
    private readonly intervalMs = 10_000,
  ) {}

  write(line: string): void {
    const now = Date.now();
    if (now - this.windowStart > this.intervalMs) {
      if (this.suppressed > 0) this.logger.warn(`${this.suppressed} more denied request(s) not logged in the last ${Math.round((now - this.windowStart) / 1000)} s`);
      this.windowStart = now;
      this.lines = 0;
      this.suppressed = 0;
    }
    if (this.lines++ < this.burst) this.logger.warn(line);
    else this.suppressed++;
  }
}

/**
 * Authentication, authorization and rate limiting of every request (spec/security.md), as two Express middlewares
 * around the body reader:
 *
 * - `beforeBody`: finds the route the router will dispatch to (so the rule applied is the handler's), lets public
 *   endpoints through, authenticates a bearer token (SHA-256, constant-time compare against the configured digests)
 *   or does the cheap checks of a did-signed request (header syntax, time window, known signer) — a request failing
 *   them is refused before its body is read — then authorizes against the role matrix and takes a token from the
 *   principal's bucket;
 * - `afterBody`: for a did-signed request with a body, verifies the one signature over the body exactly as read,
 *   remembers its nonce, then authorizes and rate-limits the same way.
 *
 * Requests under the audited prefixes (/regulator, /console, /audit, /admin) are put on the access audit trail,
 * allowed or denied, before they are handled. No request reaches the idempotency store, a pipe or a handler unless
 * it was allowed.
 */
@Injectable()
export class SecurityGate implements OnApplicationBootstrap {
  private readonly logger = new Logger('Security');
  private readonly denials = new DenialLog(this.logger);
  private readonly limits: Record<Role, RateLimit>;
  private readonly windowSeconds: number;
  private expressApp: unknown;
  private index: RouteIndex | undefined;
  private readonly reportedUnlisted = new Set<string>();

  constructor(
    @Inject(NODE_CONFIG) config: NodeConfig,
    @Inject(ACCESS_MATRIX) private readonly matrix: AccessMatrix,
    @Inject(PRINCIPAL_DIRECTORY) private readonly tokens: PrincipalDirectory,
    private readonly signed: SignedPrincipals,
    @Inject(NONCE_CACHE) private readonly nonces: NonceCache,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(AUDIT_TRAIL) private readonly trail: AuditTrailStore,
  ) {
    this.limits = matrix.rateLimitsWith(config.rateLimits);
    this.windowSeconds = config.requestSignatureWindowSeconds;
  }

  /** The Express application whose router the gate mirrors (bootstrap binds it before the node listens). */
  bind(expressApp: unknown): void {
    this.expressApp = expressApp;
    this.index = undefined;
  }

  onApplicationBootstrap(): void {
    if (this.expressApp === undefined) return;
    const index = this.routes();
    for (const r of index.unlisted) this.logger.error(`${r.method} ${r.template} has no entry in governance/access-roles.json: refused to everyone`);
  }

  /** The route index, (re)built when the router has changed (routes are registered once, at start). */
  private routes(): RouteIndex {
    if (this.expressApp === undefined) throw new Error('security: the gate is not bound to the HTTP application');
    if (!this.index || this.index.stale()) this.index = RouteIndex.build(this.expressApp, this.matrix);
    return this.index;
  }

  readonly beforeBody = (req: Request, res: Response, next: NextFunction): void => {
    try {
      const path = pathOf(req.url);
      const route = path === undefined ? undefined : this.routes().match(req.method, path);
      if (route?.entry?.public || (route === undefined && path !== undefined && this.matrix.publicPrefixFor(req.method, path))) return next();
      const state: GateState = { at: Date.now(), path: path ?? req.url.slice(0, 200), route, audited: path !== undefined && this.matrix.isAudited(path) };
      (req as unknown as Record<symbol, GateState>)[STATE] = state;

      const header = req.headers.authorization;
      if (header === undefined || header === '') return this.deny(req, res, state, { status: 401, reason: this.admitsOnlyBearer(route) ? 'no bearer token' : 'no credentials' });
      const space = header.indexOf(' ');
      const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
      if (scheme === 'bearer') {
        const m = BEARER.exec(header);
        if (!m) return this.deny(req, res, state, { status: 401, reason: 'malformed Authorization header (expected: Bearer <token>)' });
        const found = this.tokens.resolve(m[1]!);
        if (found.length === 0) return this.deny(req, res, state, { status: 401, reason: 'unknown token' });
        return this.authorize(req, res, next, state, found);
      }
      if (scheme === REQUEST_SIGNATURE_SCHEME.toLowerCase()) {
        let parts: SignedRequestParts;
        try {
          parts = parseRequestSignature(header);
        } catch (e) {
          return this.deny(req, res, state, { status: 401, reason: (e as Error).message });
        }
        const now = Math.floor(Date.now() / 1000);
        if (Math.abs(now - parts.time) > this.windowSeconds) {
          return this.deny(req, res, state, { status: 401, reason: `the signed time ${parts.time} is outside the ${this.windowSeconds} s window around ${now}` });
        }
        const roles = this.signed.rolesOf(parts.did);
        if (roles.length === 0) return this.deny(req, res, state, { status: 401, reason: `${parts.did} is neither a peer nor a bonded watcher of this node` });
        if (hasBody(req)) {
          state.pending = { parts, roles };
          return next(); // the body is read next; afterBody verifies the signature over it
        }
        return this.verifySigned(req, res, next, state, parts, roles, '');
      }
      return this.deny(req, res, state, { status: 401, reason: `unsupported Authorization scheme (use Bearer <token> or ${REQUEST_SIGNATURE_SCHEME} …)` });
    } catch (e) {
      this.internalError(req, res, e);
    }
  };

  readonly afterBody = (req: Request, res: Response, next: NextFunction): void => {
    const state = (req as unknown as Record<symbol, GateState | undefined>)[STATE];
    if (!state?.pending) return next();
    try {
      const { parts, roles } = state.pending;
      state.pending = undefined;
      if (typeof req.body !== 'string') return this.deny(req, res, state, { status: 415, reason: 'a signed request body must be sent as application/json (the signature covers it as sent)' });
      this.verifySigned(req, res, next, state, parts, roles, req.body);
    } catch (e) {
      this.internalError(req, res, e);
    }
  };

  private admitsOnlyBearer(route: MatchedRoute | undefined): boolean {
    return route?.entry !== undefined && ![...route.entry.roles].some((r) => SIGNATURE_ROLES.includes(r));
  }

  private verifySigned(req: Request, res: Response, next: NextFunction, state: GateState, parts: SignedRequestParts, roles: Role[], body: string): void {
    const now = Math.floor(Date.now() / 1000);
    const verdict = verifyRequestSignature(parts, { method: req.method, path: req.originalUrl, body }, { now, windowSeconds: this.windowSeconds });
    if (!verdict.ok) return this.deny(req, res, state, { status: 401, reason: verdict.reason });
    const nonce = this.nonces.remember(verdict.did, parts.nonce, parts.time, now);
    if (nonce === 'replayed') return this.deny(req, res, state, { status: 401, reason: 'the nonce was already used (a replayed request)' });
    if (nonce === 'full') return this.deny(req, res, state, { status: 503, reason: 'too many signed requests in the replay window; retry later', retryAfterMs: 1000 });
    this.authorize(
      req,
      res,
      next,
      state,
      roles.map((role) => ({ name: verdict.did, role })),
    );
  }

  private authorize(req: Request, res: Response, next: NextFunction, state: GateState, principals: Principal[]): void {
    const route = state.route;
    if (!route) return this.deny(req, res, state, { status: 404, reason: `no endpoint ${req.method} ${state.path}`, principal: principals[0] });
    const entry = route.entry;
    if (!entry) {
      const key = `${req.method} ${route.template}`;
      if (!this.reportedUnlisted.has(key)) {
        this.reportedUnlisted.add(key);
        this.logger.error(`${key} has no entry in governance/access-roles.json: refused to everyone`);
      }
      return this.deny(req, res, state, { status: 403, reason: `${key} has no access rule`, principal: principals[0] });
    }
    const allowed = principals.find((p) => entry.roles.has(p.role));
    if (!allowed) {
      const who = principals.map((p) => `${p.name} (${p.role})`).join(', ');
      return this.deny(req, res, state, { status: 403, reason: `${who} may not ${req.method} ${route.template}, which needs the ${[...entry.roles].join(' or ')} role`, principal: principals[0] });
    }
    const decision = this.limiter.take(`${allowed.role}:${allowed.name}`, this.limits[allowed.role]);
    const proceed = (d: RateDecision): void => {
      if (!d.ok) return this.deny(req, res, state, { status: 429, reason: `rate limit of ${allowed.name} (${allowed.role}) reached`, principal: allowed, retryAfterMs: d.retryAfterMs });
      setPrincipal(req, allowed);
      if (state.audited) {
        const id = this.trail.record({ ...this.auditBase(req, state), principal: allowed.name, role: allowed.role, decision: 'allowed', reason: null, status: null });
        res.on('finish', () => this.trail.setStatus(id, res.statusCode));
      }
      next();
    };
    if (decision instanceof Promise) {
      decision.then(proceed).catch((e) => this.internalError(req, res, e));
    } else proceed(decision);
  }

  private auditBase(req: Request, state: GateState) {
    return { at: new Date(state.at), method: req.method, path: state.path, query: queryOf(req.url), remote: req.socket.remoteAddress ?? null };
  }

  private deny(req: Request, res: Response, state: GateState, d: Denial): void {
    const principal = d.principal ?? null;
    if (state.audited) {
      this.trail.record({ ...this.auditBase(req, state), principal: principal?.name ?? null, role: principal?.role ?? null, decision: 'denied', reason: d.reason, status: d.status });
    }
    if (d.status !== 404) this.denials.write(`${d.status} ${req.method} ${state.path} from ${req.socket.remoteAddress ?? '?'}${principal ? ` as ${principal.name} (${principal.role})` : ''}: ${d.reason}`);
    const [slug, title] = TITLES[d.status];
    const detail =
      d.status === 401 ? `${this.needs(state.route)}: ${d.reason}` : d.status === 404 ? `no endpoint ${req.method} ${state.path}` : d.reason;
    res.status(d.status);
    if (d.status === 401) res.setHeader('WWW-Authenticate', this.challenge(state.route));
    if (d.retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))));
    res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(canonicalize({ type: PROBLEM_BASE_URI + slug, title, status: d.status, detail, instance: state.path }));
  }

  private needs(route: MatchedRoute | undefined): string {
    const roles = route?.entry ? [...route.entry.roles] : [];
    if (roles.length === 0) return 'this node needs credentials';
    const how = roles.map((r) => (SIGNATURE_ROLES.includes(r) ? `a ${r}'s ${REQUEST_SIGNATURE_SCHEME} signature` : `${/^[aeiou]/.test(r) ? 'an' : 'a'} ${r}'s bearer token`));
    return `${route!.template} needs ${how.join(' or ')}`;
  }

  private challenge(route: MatchedRoute | undefined): string {
    const roles = route?.entry ? [...route.entry.roles] : [];
    const signed = roles.length === 0 || roles.some((r) => SIGNATURE_ROLES.includes(r));
    const bearer = roles.length === 0 || roles.some((r) => !SIGNATURE_ROLES.includes(r));
    return [bearer ? `Bearer ${REALM}` : undefined, signed ? `${REQUEST_SIGNATURE_SCHEME} ${REALM}` : undefined].filter(Boolean).join(', ');
  }

  /** A failure of the gate itself: a bare 500 problem, the cause in the log only. */
  private internalError(req: Request, res: Response, e: unknown): void {
    this.logger.error(`${req.method} ${pathOf(req.url) ?? '?'}: access check failed: ${(e as Error)?.stack ?? String(e)}`);
    if (res.headersSent) return;
    res.status(500).setHeader('Content-Type', 'application/problem+json; charset=utf-8');
    res.end(canonicalize({ type: PROBLEM_BASE_URI + 'internal-error', title: 'Internal error', status: 500, detail: 'the node failed to process the request; the failure has been logged' }));
  }
}
