import { computeNextRoot, verifyProofs } from '@corridor/protocol';
import type { ReceiptChainWriter } from '@corridor/ledger';
import { CHAIN_WRITER } from '../../apps/node/src/infrastructure/tokens';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, type TestNode } from '../support/node-harness';

/**
 * Commands on one busy corridor are pipelined (AggregateStore.issue, spec/node.md): each is decided on the view the
 * previous one will produce and handed to the ledger before that one is durable, so their appends share commits.
 * Observed here through the real ledger: a spy on the writer's `append` counts the appends still in flight when each
 * one is issued, and can make one append fail to show what happens to the commands decided behind it.
 */
describe('the command pipeline of one aggregate', () => {
  let node: TestNode;
  let writer: ReceiptChainWriter;
  let original: ReceiptChainWriter['append'];
  let inFlight = 0;
  let maxInFlight = 0;
  let failNext = false;

  beforeAll(async () => {
    node = await startTestNode();
    writer = node.app.get<ReceiptChainWriter>(CHAIN_WRITER);
    original = writer.append.bind(writer);
    writer.append = (...args: Parameters<ReceiptChainWriter['append']>) => {
      if (failNext && args[0].startsWith('corridor-')) {
        failNext = false;
        return Promise.reject(new Error('injected: the disk is full'));
      }
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return original(...args).finally(() => inFlight--);
    };
  });
  afterAll(async () => node?.close());

  const transition = (n: number) => ({ transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `PIPE-${n}`, amount: '10.00', currency: 'USD' } } });

  async function chain(id: string) {
    const page = await node.api('GET', `/corridors/${id}/receipts?after=-1&limit=1000`);
    expect(page.status).toBe(200);
    return page.body.receipts as Array<Record<string, any>>;
  }

  function expectIntactChain(receipts: Array<Record<string, any>>, genesisRoot: string) {
    let prev = genesisRoot;
    receipts.forEach((r, i) => {
      expect(r.sequence).toBe(i);
      expect(r.prev_root).toBe(prev);
      expect(computeNextRoot(r)).toBe(r.next_root);
      expect(verifyProofs(r).every((p) => p.ok)).toBe(true);
      prev = r.next_root;
    });
  }

  it('given 120 transitions sent at once, then appends overlap, every one is answered with its own receipt, and the chain is whole', async () => {
    const id = 'org.example.pipeline';
    await activeCorridor(node, id);
    maxInFlight = 0;
    const answers = await Promise.all(Array.from({ length: 120 }, (_, n) => node.api('POST', `/corridors/${id}/transitions`, transition(n))));
    expect(answers.map((a) => a.status)).toEqual(Array(120).fill(201));
    const sequences = answers.map((a) => a.body.receipts[0].receipt.sequence as number).sort((a, b) => a - b);
    expect(sequences).toEqual([...Array(120).keys()]);
    expect(maxInFlight).toBeGreaterThan(1); // pipelined: the next append was issued before the previous one was durable
    const view = await node.api('GET', `/corridors/${id}`);
    expectIntactChain(await chain(id), view.body.state_channel.genesis_root);
    // Each answer carries the receipt now stored at its sequence.
    const stored = await chain(id);
    for (const a of answers) expect(stored[a.body.receipts[0].receipt.sequence].next_root).toBe(a.body.receipts[0].receipt.next_root);
  });

  it('given one append fails, then commands decided behind it fail too, nothing is half-stored, and the next command continues the chain', async () => {
    const id = 'org.example.pipeline.fault';
    await activeCorridor(node, id);
    for (let n = 0; n < 3; n++) expect((await node.api('POST', `/corridors/${id}/transitions`, transition(n))).status).toBe(201);
    failNext = true;
    const burst = await Promise.all(Array.from({ length: 20 }, (_, n) => node.api('POST', `/corridors/${id}/transitions`, transition(100 + n))));
    const ok = burst.filter((a) => a.status === 201);
    const failed = burst.filter((a) => a.status !== 201);
    expect(failed.length).toBeGreaterThan(0); // at least the injected failure
    for (const f of failed) expect(f.status).toBeGreaterThanOrEqual(409);
    const after = await node.api('POST', `/corridors/${id}/transitions`, transition(999));
    expect(after.status).toBe(201);
    const receipts = await chain(id);
    const view = await node.api('GET', `/corridors/${id}`);
    expectIntactChain(receipts, view.body.state_channel.genesis_root);
    // Exactly the acknowledged transitions are stored: 3 before, the burst's successes, and the one after.
    expect(receipts).toHaveLength(3 + ok.length + 1);
    expect(after.body.receipts[0].receipt.sequence).toBe(receipts.length - 1);
    const answered = new Set([...ok, after].map((a) => a.body.receipts[0].receipt.next_root));
    expect(receipts.slice(3).every((r) => answered.has(r.next_root))).toBe(true);
  });
});
