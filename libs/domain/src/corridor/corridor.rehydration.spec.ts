import { digestOf } from '@corridor/protocol';
import { rehydrate } from '../shared/decider';
import { CORRIDOR_ID, FORK, agreementFacts, corridorEvents as ev, definitionCredential, minute, payloadDigest, trustAnchorRecords } from '../testing/corridor-fixtures';
import { corridorDecider } from './decider';
import type { CorridorEvent } from './events';

const recorded = (ordinal: number, at: string, kind: string) => ({
  type: 'corridor.transition-recorded.v1',
  data: {
    corridor_id: CORRIDOR_ID,
    at,
    ordinal,
    transition: { type: 'MSEZTransitionEnvelope', kind, payload: { n: ordinal }, payload_sha256: digestOf({ n: ordinal }) },
  },
});

describe('corridor rehydration', () => {
  it('folds a year in the life of a corridor into its current state, counting every event', () => {
    const history = [
      ev.created(),
      ev.submitted(),
      ev.activated(),
      recorded(1, minute(10), 'trade.order.placed.v1'),
      recorded(2, minute(11), 'trade.invoice.issued.v1'),
      recorded(3, minute(12), 'settlement.confirmed.v1'),
      ev.halted(),
      ev.resumedFromHalt(),
      ev.authorized('corridor.suspended.v1', 'suspend', 'ACTIVE', 'SUSPENDED', minute(50), minute(49)),
      ev.authorized('corridor.resumed-from-suspension.v1', 'resume_from_suspension', 'SUSPENDED', 'ACTIVE', minute(60), minute(55)),
      recorded(4, minute(61), 'licence.renewed.v1'),
      ev.authorized('corridor.deprecated.v1', 'deprecate', 'ACTIVE', 'DEPRECATED', minute(70), minute(65)),
    ] as CorridorEvent[];

    const state = rehydrate(corridorDecider, history);

    expect(state).toEqual({
      version: 12,
      corridor_id: CORRIDOR_ID,
      lifecycle: 'DEPRECATED',
      since: minute(70),
      updated_at: minute(70),
      trust_anchors: trustAnchorRecords(),
      definition: { payload_sha256: payloadDigest(definitionCredential()), credential: definitionCredential() },
      agreement: agreementFacts(),
      open_fork: null,
      transitions_recorded: 4,
      watcher_quorum: null,
      key_rotations: [],
    });
  });

  it('keeps the open fork while halted', () => {
    const state = rehydrate(corridorDecider, [ev.created(), ev.submitted(), ev.activated(), ev.halted()] as CorridorEvent[]);
    expect(state.version).toBe(4);
    expect(state.lifecycle).toBe('HALTED');
    expect(state.open_fork).toEqual(FORK);
  });

  it('refuses to fold an event type it has no handler for (a corrupt or newer stream)', () => {
    expect(() => rehydrate(corridorDecider, [ev.created(), { type: 'corridor.renamed.v1', data: {} }] as unknown as CorridorEvent[])).toThrow(
      'corridor: no evolve handler for event type "corridor.renamed.v1"',
    );
  });
});
