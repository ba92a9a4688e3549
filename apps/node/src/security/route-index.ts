import type { AccessEntry, AccessMatrix } from './access-matrix';
import { templateOfRoutePath } from './access-matrix';

/** What the gate needs of an Express (router 2) layer: its route, if any, and its own path matcher. */
interface RouterLayer {
  route?: { path: string | string[]; methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

interface ExpressLike {
  router?: { stack: RouterLayer[] };
  _router?: { stack: RouterLayer[] };
}

/** One route the node serves: method and template (`GET /corridors/{id}`). */
export interface ServedRoute {
  readonly method: string;
  readonly template: string;
}

/** A route the request matched, with the matrix entry governing its method (undefined: none — refused to all). */
export interface MatchedRoute {
  readonly template: string;
  readonly entry: AccessEntry | undefined;
}

interface Candidate {
  readonly layer: RouterLayer;
  readonly template: string;
  readonly all: boolean;
  readonly methods: ReadonlySet<string>;
  readonly entries: Map<string, AccessEntry | undefined>;
}

/** Nest registers module middleware as catch-all routes; they pass requests on and are not endpoints. */
function isCatchAll(template: string): boolean {
  return /^\/?(\{\*[A-Za-z0-9_]*\}|\*)?$/.test(template);
}

function stackOf(app: ExpressLike): RouterLayer[] {
  const router = app.router ?? app._router;
  if (!router || !Array.isArray(router.stack)) throw new Error('security: the HTTP adapter is not Express 5 (no router stack to index)');
  return router.stack;
}

function routePaths(layer: RouterLayer): string[] {
  const p = layer.route!.path;
  return (Array.isArray(p) ? p : [p]).filter((x): x is string => typeof x === 'string');
}

/** Every route of an Express app (method, template), in the order the router tries them; catch-all middleware excluded. */
export function servedRoutes(app: unknown): ServedRoute[] {
  const out: ServedRoute[] = [];
  for (const layer of stackOf(app as ExpressLike)) {
    if (!layer.route) continue;
    for (const path of routePaths(layer)) {
      const template = templateOfRoutePath(path);
      if (isCatchAll(template)) continue;
      for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') out.push({ method: m.toUpperCase(), template });
    }
  }
  return out;
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return (end < 0 ? path.slice(1) : path.slice(1, end)).toLowerCase();
}

/**
 * Which route the router will hand a request to, found the way the router finds it — the same layers, in the same
 * order, with their own matchers (case-insensitive, optional trailing slash, percent-decoding of parameters) — so the
 * rule applied is always the rule of the handler that runs. Routes are bucketed by their (literal) first path
 * segment, so a request is tried against a handful of routes, not all of them.
 */
export class RouteIndex {
  private readonly buckets = new Map<string, Candidate[]>();
  /** Set when some route starts with a parameter: then every request is tried against every route, in order. */
  private readonly ordered: Candidate[] | undefined;
  readonly size: number;
  /** Routes without a matrix entry (refused to everyone; the node logs them at start). */
  readonly unlisted: ServedRoute[] = [];

  private constructor(
    private readonly stack: RouterLayer[],
    matrix: AccessMatrix,
  ) {
    const all: Candidate[] = [];
    let dynamicFirst = false;
    for (const layer of stack) {
      if (!layer.route) continue;
      for (const path of routePaths(layer)) {
        const template = templateOfRoutePath(path);
        if (isCatchAll(template)) continue;
        const methods = new Set(Object.entries(layer.route.methods).filter(([m, on]) => on && m !== '_all').map(([m]) => m.toUpperCase()));
        const entries = new Map<string, AccessEntry | undefined>();
        for (const m of methods) {
          const entry = matrix.entryFor(m, template);
          entries.set(m, entry);
          if (!entry) this.unlisted.push({ method: m, template });
        }
        const candidate: Candidate = { layer, template, all: layer.route.methods._all === true, methods, entries };
        all.push(candidate);
        const first = firstSegment(template);
        if (first.startsWith('{') || first.startsWith(':') || first.includes('*') || first.includes('(')) dynamicFirst = true;
        const bucket = this.buckets.get(first) ?? [];
        bucket.push(candidate);
        this.buckets.set(first, bucket);
      }
    }
    this.ordered = dynamicFirst ? all : undefined;
    this.size = stack.length;
  }

  static build(app: unknown, matrix: AccessMatrix): RouteIndex {
    return new RouteIndex(stackOf(app as ExpressLike), matrix);
  }

  /** True when routes were added to the router after this index was built. */
  stale(): boolean {
    return this.stack.length !== this.size;
  }

  /** The routes of a bucket that handle a method, in router order (computed once per method and bucket). */
  private readonly byMethod = new Map<string, Candidate[]>();

  private candidates(method: string, first: string): Candidate[] | undefined {
    const key = this.ordered ? method : `${method} ${first}`;
    let list = this.byMethod.get(key);
    if (!list) {
      const bucket = this.ordered ?? this.buckets.get(first);
      if (!bucket) return undefined;
      list = bucket.filter((c) => c.all || c.methods.has(method) || (method === 'HEAD' && c.methods.has('GET')));
      if (this.byMethod.size < 1000) this.byMethod.set(key, list); // methods are few; never grows with traffic
    }
    return list;
  }

  /** The route the router would dispatch `METHOD path` to (path: raw, without the query), if any. */
  match(method: string, path: string): MatchedRoute | undefined {
    const candidates = this.candidates(method, firstSegment(path));
    if (!candidates) return undefined;
    for (const c of candidates) {
      const m = c.all || c.methods.has(method) ? method : 'GET';
      let hit: unknown;
      try {
        hit = c.layer.match(path);
      } catch {
        return undefined; // undecodable parameter: the router answers 400
      }
      if (hit) return { template: c.template, entry: c.all ? undefined : c.entries.get(m) };
    }
    return undefined;
  }
}
