import { sha256Hex } from '@corridor/protocol';
import { rehydrate } from '../shared/decider';
import { CORRIDOR_ID, minute } from '../testing/corridor-fixtures';
import { OTHER_CORRIDOR, WATCHER_ID, bondEvents as ev } from '../testing/watcher-bond-fixtures';
import { watcherBondDecider } from './decider';
import type { WatcherBondEvent } from './events';

describe('watcher bond rehydration', () => {
  it('folds a first bond withdrawn after slashes and a top-up, and a second bond in use', () => {
    const d = (s: string) => sha256Hex(s);
    const history = [
      ev.posted(),
      ev.attested(1, minute(1), d('a1')),
      ev.attested(2, minute(2), d('a2')),
      ev.slashedFor('availability', 'A-1', 100, '10.005', '1000.5', '990.495', minute(3), d('A-1')),
      ev.toppedUp('10.005', '1010.505', '1000.5', minute(4)),
      ev.attested(3, minute(5), d('a3')),
      ev.slashedFor('liveness', 'L-1', 1000, '101.0505', '1010.505', '899.4495', minute(6), d('L-1')),
      ev.unbonding(minute(7), '2025-03-08T09:07:00Z'),
      ev.withdrawn('2025-03-08T09:07:00Z', '899.4495'),
      ev.posted('2025-03-09T00:00:00Z', 'bond-2', '250'),
      ev.attested(1, '2025-03-09T00:01:00Z', d('b1'), 'bond-2'),
    ] as WatcherBondEvent[];

    expect(rehydrate(watcherBondDecider, history)).toEqual({
      version: 11,
      watcher_id: WATCHER_ID,
      status: 'ACTIVE',
      bond: {
        bond_id: 'bond-2',
        currency: 'USDC',
        corridor_ids: [CORRIDOR_ID, OTHER_CORRIDOR],
        posted_at: '2025-03-09T00:00:00Z',
        collateral: '250',
        slashed: '0',
        remaining: '250',
        attestation_count: 1,
        unlock_at: null,
      },
      bond_ids: ['bond-2025-0001', 'bond-2'],
      slashed_incidents: ['availability:A-1', 'liveness:L-1'],
      ban: null,
      updated_at: '2025-03-09T00:01:00Z',
    });
  });
});
