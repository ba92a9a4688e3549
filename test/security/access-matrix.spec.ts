/** The loader of governance/access-roles.json refuses a matrix it cannot enforce exactly. */
import { AccessMatrix, accessMatrix } from '../../apps/node/src/security/access-matrix';

const roles = { operator: {}, peer: {}, watcher: {}, auditor: {}, regulator: {} };
const limits = Object.fromEntries(Object.keys(roles).map((r) => [r, { per_second: 1, burst: 1 }]));
const doc = (endpoints: unknown[], extra: Record<string, unknown> = {}) => ({ roles, rate_limits: limits, audited_prefixes: ['/regulator'], endpoints, ...extra });

describe('the role matrix document', () => {
  it('loads the governance file: every endpoint public or with known roles, a limit for every role', () => {
    const m = accessMatrix();
    expect(m.entries.length).toBeGreaterThan(80);
    expect(m.entryFor('GET', '/corridors/{id}')?.roles.has('peer')).toBe(true);
    expect(m.entryFor('HEAD', '/corridors/{id}')).toBe(m.entryFor('GET', '/corridors/{id}'));
    expect(m.entryFor('GET', '/docs/openapi.json')?.public).toBe(true);
    expect(m.entryFor('POST', '/corridors/{id}/halt')?.roles).toEqual(new Set(['operator', 'watcher']));
    expect(m.isAudited('/Regulator/dashboard')).toBe(true);
    expect(m.isAudited('/regulatory')).toBe(false);
    expect(m.rateLimitsWith('watcher=5:20').watcher).toEqual({ perSecond: 5, burst: 20 });
  });

  it.each([
    ['an unknown role', doc([{ method: 'GET', path: '/x', roles: ['admin'] }]), /needs "roles"/],
    ['no roles and not public', doc([{ method: 'GET', path: '/x' }]), /needs "roles"/],
    ['public with roles', doc([{ method: 'GET', path: '/x', public: true, roles: ['operator'] }]), /choose one/],
    ['a duplicate endpoint', doc([{ method: 'GET', path: '/x', roles: ['operator'] }, { method: 'GET', path: '/X', roles: ['peer'] }]), /listed twice/],
    ['a path that is not a template', doc([{ method: 'GET', path: '/x/:id', roles: ['operator'] }]), /not a route template/],
    ['an unknown method', doc([{ method: 'FETCH', path: '/x', roles: ['operator'] }]), /method/],
    ['a role without a rate limit', doc([], { rate_limits: { operator: { per_second: 1, burst: 1 } } }), /no limit for peer/],
    ['a role left undescribed', doc([], { roles: { operator: {} } }), /does not describe peer/],
  ])('refuses %s', (_what, d, message) => {
    expect(() => new AccessMatrix(d)).toThrow(message);
  });
});
