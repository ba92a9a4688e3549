import { AGGREGATES, DOMAIN_EVENTS, EVENT_NAME_SYNTAX, EVENT_REGISTRY, aggregateOfEvent } from './event-registry';
import { corridorDecider } from './corridor';
import { migrationSagaDecider } from './migration-saga';
import { watcherBondDecider } from './watcher-bond';
import { disputeDecider } from './dispute';
import type { Decider, DomainCommand, DomainEvent, Versioned } from './shared/decider';

describe('the domain event registry', () => {
  it('registers every event of the four aggregates under a stable <aggregate>.<what-happened>.v<n> name', () => {
    expect(AGGREGATES).toEqual(['corridor', 'migration-saga', 'watcher-bond', 'dispute']);
    for (const [type, aggregate] of EVENT_REGISTRY) {
      expect(type).toMatch(EVENT_NAME_SYNTAX);
      expect(type.startsWith(`${aggregate}.`)).toBe(true);
    }
    expect(EVENT_REGISTRY.size).toBe(11 + 10 + 7 + 14);
  });

  it('names the aggregate of an event, and nothing for an unknown name', () => {
    expect(aggregateOfEvent('corridor.halted.v1')).toBe('corridor');
    expect(aggregateOfEvent('migration-saga.compensation-step-failed.v1')).toBe('migration-saga');
    expect(aggregateOfEvent('watcher-bond.slashed.v1')).toBe('watcher-bond');
    expect(aggregateOfEvent('dispute.settled.v1')).toBe('dispute');
    expect(aggregateOfEvent('CorridorHalted')).toBeUndefined();
  });

  it.each<[string, Decider<DomainCommand, DomainEvent, Versioned>]>([
    ['corridor', corridorDecider as never],
    ['migration-saga', migrationSagaDecider as never],
    ['watcher-bond', watcherBondDecider as never],
    ['dispute', disputeDecider as never],
  ])('%s: evolve refuses an event type it does not know instead of skipping it', (aggregate, decider) => {
    const unknown = { type: `${aggregate}.unheard-of.v1`, data: {} };
    expect(() => decider.evolve(decider.initialState(), unknown)).toThrow(`${aggregate}: no evolve handler for event type "${aggregate}.unheard-of.v1"`);
    // Not even an inherited property name passes for a handler.
    expect(() => decider.evolve(decider.initialState(), { type: 'constructor', data: {} })).toThrow(/no evolve handler/);
  });

  it('keeps each aggregate’s names distinct', () => {
    const all = AGGREGATES.flatMap((a) => Object.values(DOMAIN_EVENTS[a]) as string[]);
    expect(new Set(all).size).toBe(all.length);
  });
});
