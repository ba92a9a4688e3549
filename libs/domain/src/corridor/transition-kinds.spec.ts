import { TRANSITION_KINDS } from './governance';
import { loadTransitionKinds } from './transition-kinds';

const file = require('@corridor/governance/transition-kinds.json') as { kinds: { match: string; payload_schema: string | null }[] };

describe('the transition-kind registry', () => {
  it('lists the families a corridor records', () => {
    expect(file.kinds.map((k) => k.match)).toEqual([
      'trade.*',
      'settlement.*',
      'compliance.attestation.*',
      'sanctions.*',
      'licence.*',
      'arbitration.enforcement.*',
      'migration.step.*',
    ]);
    expect(TRANSITION_KINDS.entries.map((e) => e.match)).toEqual(file.kinds.map((k) => k.match));
  });

  it('admits a kind below a family, never the bare family name, a sibling family, or malformed names', () => {
    expect(TRANSITION_KINDS.find('trade.invoice.issued.v1')?.match).toBe('trade.*');
    expect(TRANSITION_KINDS.find('compliance.attestation.aml.v2')?.match).toBe('compliance.attestation.*');
    for (const kind of ['trade', 'trade.', 'tradex.order.v1', 'compliance.report.v1', 'Trade.invoice.v1', 'trade..v1', 'trade.invoice issued', '']) {
      expect(TRANSITION_KINDS.find(kind)).toBeUndefined();
    }
  });

  it('names the payload schema of the kinds that have one', () => {
    expect(TRANSITION_KINDS.find('arbitration.enforcement.ruling.v1')?.payloadSchema).toBe('dispute.enforcement-transition.schema.json');
    expect(TRANSITION_KINDS.find('migration.step.completed.v1')?.payloadSchema).toBe('migration-saga.step-transition.schema.json');
    expect(TRANSITION_KINDS.find('trade.invoice.issued.v1')?.payloadSchema).toBeNull();
  });

  it('admits an exact kind only exactly', () => {
    const registry = loadTransitionKinds({ version: 1, kinds: [{ match: 'corridor.notice.v1', description: 'a notice', payload_schema: null }] });
    expect(registry.find('corridor.notice.v1')).toBeDefined();
    expect(registry.find('corridor.notice.v2')).toBeUndefined();
  });

  it.each<[string, unknown, RegExp]>([
    ['no kinds', { version: 1, kinds: [] }, /non-empty list/],
    ['a bad version', { version: 0, kinds: [{ match: 'trade.*', description: 'd' }] }, /version/],
    ['a malformed family', { version: 1, kinds: [{ match: 'trade*', description: 'd' }] }, /neither a kind nor/],
    ['an entry twice', { version: 1, kinds: [{ match: 'trade.*', description: 'd' }, { match: 'trade.*', description: 'e' }] }, /twice/],
    ['a schema that is not a schema file', { version: 1, kinds: [{ match: 'trade.*', description: 'd', payload_schema: 'trade.json' }] }, /payload_schema/],
    ['no description', { version: 1, kinds: [{ match: 'trade.*' }] }, /description/],
  ])('refuses a registry with %s', (_what, doc, message) => {
    expect(() => loadTransitionKinds(doc)).toThrow(message);
  });
});
