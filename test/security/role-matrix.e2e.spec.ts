/**
 * The role matrix (governance/access-roles.json) walked on a running node: every route the node serves — taken
 * from its router, cross-checked with its OpenAPI document — has exactly one matrix entry, and every role × every
 * route is allowed or refused exactly as the matrix says (401 without credentials, 403 for a role not listed).
 * A new endpoint without a matrix entry fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ed25519KeyPair } from '@corridor/protocol';
import { accessMatrix, templateOfRoutePath } from '../../apps/node/src/security/access-matrix';
import { servedRoutes, type ServedRoute } from '../../apps/node/src/security/route-index';
import { PROBLEM, startSecurityNode, type RoleName, type SecurityNode } from './security-fixture';

jest.setTimeout(120_000);

const ROLES: RoleName[] = ['operator', 'peer', 'watcher', 'auditor', 'regulator'];
const unbonded = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 7), 'nobody').did;

/** A concrete path for a route template: ids that do not exist, so that allowed calls change nothing. */
function concrete(template: string): string {
  return template
    .replace('{id}', 'org.example.no-such')
    .replace('{sequence}', '0')
    .replace('{size}', '1')
    .replace('{watcherId}', unbonded)
    .replace('{escrowId}', 'escrow-none')
    .replace('{name}', 'no-such-projection')
    .replace(/\{\*[a-z]+\}/i, 'index.html');
}

describe('the role matrix, walked', () => {
  let s: SecurityNode;
  let routes: ServedRoute[];
  const matrix = accessMatrix();

  beforeAll(async () => {
    // No rate limit gets in the way of the walk (rate limits have their own test).
    s = await startSecurityNode({ CORRIDOR_RATE_LIMITS: 'operator=0:0,peer=0:0,watcher=0:0,auditor=0:0,regulator=0:0' });
    routes = servedRoutes(s.node.app.getHttpAdapter().getInstance());
  });
  afterAll(async () => s?.node.close());

  it('every route the node serves has a matrix entry, and every entry names a served route', () => {
    expect(routes.length).toBeGreaterThan(80);
    const unlisted = routes.filter((r) => !matrix.entryFor(r.method, r.template)).map((r) => `${r.method} ${r.template}`);
    expect(unlisted).toEqual([]);
    const stale = matrix.entries
      .filter((e) => !routes.some((r) => matrix.entryFor(r.method, r.template) === e))
      .map((e) => `${e.method} ${e.path}`);
    expect(stale).toEqual([]);
  });

  it('the OpenAPI document lists no operation the router does not serve (and the router hides none but the console)', async () => {
    const doc = (await s.callers.anonymous.api('GET', '/docs/openapi.json')).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    const served = new Set(routes.map((r) => `${r.method} ${r.template}`));
    expect(documented.filter((d) => !served.has(d))).toEqual([]);
    const undocumented = routes.filter((r) => !r.template.startsWith('/docs') && !documented.includes(`${r.method} ${r.template}`)).map((r) => `${r.method} ${r.template}`);
    expect(undocumented).toEqual(['GET /console']);
  });

  it('every role × every route: allowed as the matrix says, else 403; without credentials 401; public routes open to all', async () => {
    const failures: string[] = [];
    const seen = new Set<string>();
    for (const route of routes) {
      const key = `${route.method} ${route.template}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = matrix.entryFor(route.method, route.template)!;
      const path = concrete(route.template);
      const body = route.method === 'GET' ? undefined : {};
      for (const who of ['anonymous', ...ROLES] as const) {
        const r = await s.callers[who].api(route.method, path, body);
        const problemType = typeof r.body === 'object' && r.body ? (r.body as { type?: string }).type : undefined;
        let expected: string;
        let ok: boolean;
        if (entry.public) {
          expected = 'not 401/403 (public)';
          ok = r.status !== 401 && r.status !== 403;
        } else if (who === 'anonymous') {
          expected = '401 unauthenticated';
          ok = r.status === 401 && problemType === PROBLEM + 'unauthenticated' && (r.headers.get('www-authenticate') ?? '').length > 0;
        } else if (entry.roles.has(who)) {
          expected = 'allowed (not 401/403/429)';
          ok = r.status !== 401 && r.status !== 403 && r.status !== 429;
        } else {
          expected = '403 forbidden';
          ok = r.status === 403 && problemType === PROBLEM + 'forbidden';
        }
        if (!ok) failures.push(`${key} as ${who}: expected ${expected}, got ${r.status} ${r.text.slice(0, 160)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(seen.size).toBeGreaterThan(80);
  });

  it('spec/security.md states the same matrix as governance/access-roles.json', () => {
    const spec = readFileSync(join(__dirname, '..', '..', 'spec', 'security.md'), 'utf8');
    const section = spec.slice(spec.indexOf('<!-- matrix:start -->'), spec.indexOf('<!-- matrix:end -->'));
    const rows = new Map<string, string>();
    for (const line of section.split('\n')) {
      const m = /^\| `([A-Z]+) ([^`]+)` \| ([^|]+) \|/.exec(line);
      if (m) rows.set(`${m[1]} ${m[2]}`, m[3]!.trim());
    }
    const expected = new Map(matrix.entries.map((e) => [`${e.method} ${e.path}`, e.public ? 'public' : ROLES.filter((r) => e.roles.has(r)).join(', ')]));
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(expected));
  });

  it('route templates are read from the router as the matrix writes them', () => {
    expect(templateOfRoutePath('/corridors/:id/receipts/:sequence/proof')).toBe('/corridors/{id}/receipts/{sequence}/proof');
    expect(templateOfRoutePath('/docs/{*path}')).toBe('/docs/{*path}');
    expect(templateOfRoutePath('/files/*rest')).toBe('/files/{*rest}');
  });
});
