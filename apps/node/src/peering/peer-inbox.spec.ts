import { PeerInbox, type InboxEntry } from './peer-inbox';

/** A lane like the peering service's: one task at a time per corridor, in order. */
function lanes() {
  const tails = new Map<string, Promise<unknown>>();
  return (id: string, work: () => Promise<void>) => {
    const run = (tails.get(id) ?? Promise.resolve()).then(work, work);
    tails.set(id, run.catch(() => undefined));
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('PeerInbox: inbound messages micro-batched per corridor', () => {
  it('given messages put in one go, when the drain runs, then it sees them all at once, in order', async () => {
    const drains: string[][] = [];
    const inbox = new PeerInbox<string>(async (_id, entries) => void drains.push(entries.map((e) => e.message)), lanes());
    await Promise.all(['a', 'b', 'c'].map((m) => inbox.put('c1', m)));
    expect(drains).toEqual([['a', 'b', 'c']]);
    expect(inbox.waiting).toBe(0);
  });

  it('given a drain in progress, when more messages arrive, then they go in the next drain, not lost and not early', async () => {
    const drains: string[][] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const inbox = new PeerInbox<string>(async (_id, entries) => {
      drains.push(entries.map((e) => e.message));
      if (drains.length === 1) await held;
    }, lanes());
    const first = inbox.put('c1', 'a');
    await tick();
    const later = [inbox.put('c1', 'b'), inbox.put('c1', 'c')];
    await tick();
    expect(drains).toEqual([['a']]);
    expect(inbox.waiting).toBe(2);
    release();
    await Promise.all([first, ...later]);
    expect(drains).toEqual([['a'], ['b', 'c']]);
  });

  it('corridors have their own inboxes', async () => {
    const seen: Array<[string, string[]]> = [];
    const inbox = new PeerInbox<string>(async (id, entries) => void seen.push([id, entries.map((e) => e.message)]), lanes());
    await Promise.all([inbox.put('x', '1'), inbox.put('y', '2'), inbox.put('x', '3')]);
    expect(seen.sort()).toEqual([
      ['x', ['1', '3']],
      ['y', ['2']],
    ]);
  });

  it('at most maxPerDrain messages per drain; the rest in the following ones', async () => {
    const sizes: number[] = [];
    const inbox = new PeerInbox<number>(async (_id, entries) => void sizes.push(entries.length), lanes(), 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => inbox.put('c', i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('each caller settles as its entry was settled; a throwing drain rejects the entries it did not settle; unsettled ones resolve', async () => {
    const inbox = new PeerInbox<string>(async (_id, entries: readonly InboxEntry<string>[]) => {
      entries[0]!.reject(new Error('refused for good'));
      entries[1]!.resolve();
      if (entries.some((e) => e.message === 'boom')) throw new Error('disk full');
      // entries[2] left unsettled: resolved by the inbox once the drain returned
    }, lanes());
    const ok = await Promise.allSettled([inbox.put('c', 'a'), inbox.put('c', 'b'), inbox.put('c', 'c')]);
    expect(ok.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    const bad = await Promise.allSettled([inbox.put('c', 'a'), inbox.put('c', 'b'), inbox.put('c', 'boom')]);
    expect(bad.map((o) => o.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    expect(((bad[2] as PromiseRejectedResult).reason as Error).message).toBe('disk full');
    expect(((bad[0] as PromiseRejectedResult).reason as Error).message).toBe('refused for good'); // settled once, first word wins
  });
});
