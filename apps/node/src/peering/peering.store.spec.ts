import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PeeringStore } from './peering.store';

/** The peering store's sent-proposal outbox: group-committed, durable when the promise resolves, pending meanwhile. */
describe('PeeringStore: proposals sent on a client’s behalf', () => {
  const dir = mkdtempSync(join(tmpdir(), 'peering-store-'));
  const proposal = (n: number) => ({ corridor_id: 'c', n, proof: { type: 'DataIntegrityProof' } });

  it('given a burst of proposals, when their promises resolve, then every one is in the file (seen by a second connection)', async () => {
    const path = join(dir, 'burst.sqlite');
    const store = new PeeringStore(path);
    await Promise.all(Array.from({ length: 50 }, (_, n) => store.recordSentProposal(`p-${n}`, 'c', proposal(n), `d-${n}`)));
    const reader = new PeeringStore(path);
    expect(reader.pendingProposals('c', 100)).toHaveLength(50);
    expect(reader.pendingProposalOf('c', 'd-7')).toBe('p-7');
    reader.close();
    store.close();
  });

  it('given a proposal not yet committed, then a retry of the same transition finds it pending (no second proposal)', async () => {
    const store = new PeeringStore(join(dir, 'pending.sqlite'));
    const committed = store.recordSentProposal('p-1', 'c', proposal(1), 'd-1');
    expect(store.pendingProposalOf('c', 'd-1')).toBe('p-1'); // before the commit
    expect(store.pendingProposalOf('c', 'd-2')).toBeUndefined();
    await committed;
    expect(store.pendingProposalOf('c', 'd-1')).toBe('p-1'); // after it, from the file
    store.settleSentByTransition('c', 'd-1', 0);
    expect(store.pendingProposalOf('c', 'd-1')).toBeUndefined();
    store.close();
  });

  it('given the store is closed before the commit, then the callers are told (rejected), not left waiting', async () => {
    const store = new PeeringStore(join(dir, 'closed.sqlite'));
    const lost = store.recordSentProposal('p-1', 'c', proposal(1), 'd-1');
    store.close();
    await expect(lost).rejects.toThrow();
    expect(store.pendingProposalOf.bind(store, 'c', 'd-1')).toThrow(); // closed: nothing claims it is pending
  });
});
