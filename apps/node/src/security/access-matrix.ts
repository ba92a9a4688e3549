import { isRole, ROLES, type Role } from './roles';

/** One row of the role matrix: an endpoint and who may call it (or that anyone may). */
export interface AccessEntry {
  readonly method: string;
  /** OpenAPI-style template: `{name}` one path segment, a trailing `{*name}` any rest of the path. */
  readonly path: string;
  readonly public: boolean;
  readonly roles: ReadonlySet<Role>;
  readonly note?: string;
}

export interface RateLimit {
  /** Tokens added per second (0: no limit). */
  readonly perSecond: number;
  /** Bucket size: the most requests in a burst. */
  readonly burst: number;
}

export class AccessMatrixError extends Error {
  constructor(message: string) {
    super(`governance/access-roles.json: ${message}`);
    this.name = 'AccessMatrixError';
  }
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
const TEMPLATE = /^\/(?:[A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\})(?:\/(?:[A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9_]*\}))*(?:\/\{\*[A-Za-z][A-Za-z0-9_]*\})?$|^\/\{\*[A-Za-z][A-Za-z0-9_]*\}$/;

/** An Express/path-to-regexp route path (`/corridors/:id`, `/docs/{*path}`) in the matrix's template form. */
export function templateOfRoutePath(routePath: string): string {
  return routePath
    .replace(/\{\*([A-Za-z0-9_]+)\}/g, '{*$1}')
    .replace(/(^|\/)\*([A-Za-z0-9_]+)/g, '$1{*$2}')
    .replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * The role matrix (`governance/access-roles.json`), validated: every endpoint once, each either public or with at
 * least one known role, and a rate limit for every role. Lookups are by method and route template.
 */
export class AccessMatrix {
  readonly entries: readonly AccessEntry[];
  readonly rateLimits: Readonly<Record<Role, RateLimit>>;
  /** Path prefixes whose every request (allowed or denied) is put on the access audit trail. */
  readonly auditedPrefixes: readonly string[];
  private readonly exact = new Map<string, AccessEntry>();
  private readonly wildcards: { method: string; prefix: string; entry: AccessEntry }[] = [];

  constructor(document: unknown) {
    const doc = document as { roles?: unknown; endpoints?: unknown; rate_limits?: unknown; audited_prefixes?: unknown } | null;
    if (!doc || typeof doc !== 'object') throw new AccessMatrixError('must be a JSON object');
    const roles = doc.roles as Record<string, unknown> | undefined;
    if (!roles || typeof roles !== 'object') throw new AccessMatrixError('"roles" must describe every role');
    for (const r of ROLES) if (!(r in roles)) throw new AccessMatrixError(`"roles" does not describe ${r}`);
    for (const r of Object.keys(roles)) if (!isRole(r)) throw new AccessMatrixError(`unknown role ${JSON.stringify(r)} in "roles"`);

    const limits = doc.rate_limits as Record<string, { per_second?: unknown; burst?: unknown }> | undefined;
    if (!limits || typeof limits !== 'object') throw new AccessMatrixError('"rate_limits" must give every role a rate limit');
    const rateLimits = {} as Record<Role, RateLimit>;
    for (const [name, v] of Object.entries(limits)) {
      if (name.startsWith('$')) continue;
      if (!isRole(name)) throw new AccessMatrixError(`unknown role ${JSON.stringify(name)} in "rate_limits"`);
      if (!v || !Number.isSafeInteger(v.per_second) || !Number.isSafeInteger(v.burst) || (v.per_second as number) < 0 || (v.burst as number) < 0) {
        throw new AccessMatrixError(`rate_limits.${name} must be {"per_second": whole number >= 0, "burst": whole number >= 0}`);
      }
      rateLimits[name] = { perSecond: v.per_second as number, burst: v.burst as number };
    }
    for (const r of ROLES) if (!rateLimits[r]) throw new AccessMatrixError(`"rate_limits" has no limit for ${r}`);
    this.rateLimits = rateLimits;

    const prefixes = doc.audited_prefixes;
    if (!Array.isArray(prefixes) || !prefixes.every((p) => typeof p === 'string' && /^\/[a-z0-9-]+$/.test(p))) throw new AccessMatrixError('"audited_prefixes" must be a list of /lower-case-prefix');
    this.auditedPrefixes = prefixes as string[];

    if (!Array.isArray(doc.endpoints)) throw new AccessMatrixError('"endpoints" must be a list');
    const entries: AccessEntry[] = [];
    for (const [i, raw] of (doc.endpoints as unknown[]).entries()) {
      const e = raw as { method?: unknown; path?: unknown; public?: unknown; roles?: unknown; note?: unknown } | null;
      const where = `endpoints[${i}]`;
      if (!e || typeof e !== 'object') throw new AccessMatrixError(`${where} must be an object`);
      if (typeof e.method !== 'string' || !METHODS.has(e.method)) throw new AccessMatrixError(`${where}.method must be one of ${[...METHODS].join(', ')}`);
      if (typeof e.path !== 'string' || !TEMPLATE.test(e.path)) throw new AccessMatrixError(`${where}.path ${JSON.stringify(e.path)} is not a route template such as /corridors/{id}/receipts`);
      const isPublic = e.public === true;
      if (e.public !== undefined && typeof e.public !== 'boolean') throw new AccessMatrixError(`${where}.public must be true or absent`);
      if (isPublic && e.roles !== undefined) throw new AccessMatrixError(`${where} (${e.method} ${e.path}) is public and lists roles: choose one`);
      if (!isPublic && (!Array.isArray(e.roles) || e.roles.length === 0 || !e.roles.every(isRole))) {
        throw new AccessMatrixError(`${where} (${e.method} ${e.path}) needs "roles": a non-empty list of ${ROLES.join(', ')} (or "public": true)`);
      }
      const roleList = isPublic ? [] : (e.roles as Role[]);
      if (new Set(roleList).size !== roleList.length) throw new AccessMatrixError(`${where} (${e.method} ${e.path}) lists a role twice`);
      const entry: AccessEntry = { method: e.method, path: e.path, public: isPublic, roles: new Set(roleList), ...(typeof e.note === 'string' ? { note: e.note } : {}) };
      const key = `${entry.method} ${entry.path.toLowerCase()}`;
      if (this.exact.has(key)) throw new AccessMatrixError(`${entry.method} ${entry.path} is listed twice`);
      this.exact.set(key, entry);
      const star = entry.path.indexOf('{*');
      if (star >= 0) this.wildcards.push({ method: entry.method, prefix: entry.path.slice(0, star).toLowerCase(), entry });
      entries.push(entry);
    }
    this.entries = entries;
  }

  /**
   * The entry for a route (`GET`, `/corridors/{id}`): the exact template, else a wildcard entry whose prefix the
   * route lies under (`/docs/{*path}` covers `/docs/openapi.json`). HEAD is governed by GET.
   */
  entryFor(method: string, template: string): AccessEntry | undefined {
    const m = method === 'HEAD' ? 'GET' : method;
    const lower = template.toLowerCase();
    const exact = this.exact.get(`${m} ${lower}`);
    if (exact) return exact;
    for (const w of this.wildcards) if (w.method === m && lower.startsWith(w.prefix)) return w.entry;
    return undefined;
  }

  /** The public entry covering a concrete path that no route matched (static files under /docs/). */
  publicPrefixFor(method: string, path: string): AccessEntry | undefined {
    const m = method === 'HEAD' ? 'GET' : method;
    const lower = path.toLowerCase();
    for (const w of this.wildcards) if (w.entry.public && w.method === m && lower.startsWith(w.prefix)) return w.entry;
    return undefined;
  }

  isAudited(path: string): boolean {
    const lower = path.toLowerCase();
    return this.auditedPrefixes.some((p) => lower === p || lower.startsWith(`${p}/`));
  }

  /** The rate limits of the matrix with `role=RATE:BURST,…` (CORRIDOR_RATE_LIMITS) applied. */
  rateLimitsWith(overrides: string | undefined): Record<Role, RateLimit> {
    const out = { ...this.rateLimits };
    for (const part of (overrides ?? '').split(',').filter(Boolean)) {
      const m = /^([a-z]+)=(\d+):(\d+)$/.exec(part.trim());
      if (!m || !isRole(m[1])) throw new AccessMatrixError(`rate limit override ${JSON.stringify(part)} is not role=RATE:BURST`);
      out[m[1]] = { perSecond: Number(m[2]), burst: Number(m[3]) };
    }
    return out;
  }
}

let loaded: AccessMatrix | undefined;

/** The node's role matrix, read once from `@corridor/governance/access-roles.json`. */
export function accessMatrix(): AccessMatrix {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= new AccessMatrix(require('@corridor/governance/access-roles.json'));
  return loaded;
}
