import { quorumHead, requiredWatchers } from './watcher-quorum';
import type { StoredAttestation } from './attestation.store';

const at = (watcher: string, receipt_count: number): StoredAttestation => ({ watcher, receipt_count, final_state_root: 'r', digest: `d-${watcher}`, matches: true, credential: {} });

describe('watcher quorum', () => {
  it('is the required-th highest attested height, counting watchers that attested later heads', () => {
    expect(quorumHead([at('a', 10), at('b', 7), at('c', 12)], 2)).toEqual({ receipt_count: 10, required: 2, voters: [at('c', 12), at('a', 10)] });
    expect(quorumHead([at('a', 10), at('b', 7), at('c', 12)], 3)?.receipt_count).toBe(7);
  });

  it('is not reached with fewer watchers than required', () => {
    expect(quorumHead([at('a', 10)], 2)).toBeNull();
    expect(quorumHead([], 1)).toBeNull();
  });

  it('takes K from the agreement policy, else a majority of the bonded watchers', () => {
    expect(requiredWatchers('2/5', 5)).toBe(2);
    expect(requiredWatchers(undefined, 3)).toBe(2);
    expect(requiredWatchers(undefined, 4)).toBe(3);
    expect(requiredWatchers('x', 1)).toBe(1);
  });
});
