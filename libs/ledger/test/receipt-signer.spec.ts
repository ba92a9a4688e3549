import { Worker } from 'node:worker_threads';
import { verifyProofs, type JsonObject } from '@corridor/protocol';
import { InlineReceiptSigner, WorkerPoolReceiptSigner } from '@corridor/ledger';
import { NODE_KEY } from './support/chain-fixtures';

/** Sealed-receipt stand-ins: the signer signs whatever object it is given. */
function receipts(n: number, from = 0): JsonObject[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'CorridorReceipt', sequence: from + i, note: 'é😀', next_root: `${from + i}`.padStart(64, '0') }));
}
const createdFor = (rs: readonly JsonObject[]) => rs.map(() => '2026-01-01T00:00:00Z');

describe('WorkerPoolReceiptSigner', () => {
  let pool: WorkerPoolReceiptSigner;
  const inline = new InlineReceiptSigner(NODE_KEY);
  let posted: jest.SpyInstance;

  beforeEach(() => {
    pool = new WorkerPoolReceiptSigner(NODE_KEY, { workers: 1, inlineBelow: 8 });
    posted = jest.spyOn(Worker.prototype, 'postMessage');
  });
  afterEach(async () => {
    posted.mockRestore();
    await pool.close();
  });

  it('signs a small batch on the calling thread, with the bytes a worker would produce', async () => {
    const small = receipts(3);
    const signed = await pool.sign(small, createdFor(small));
    expect(posted).not.toHaveBeenCalled();
    expect(signed).toEqual(await inline.sign(small, createdFor(small)));
    for (const s of signed) expect(verifyProofs(s.receipt)).toEqual([{ verificationMethod: NODE_KEY.verificationMethod, ok: true }]);
  });

  it('hands a batch of inlineBelow receipts or more to a worker, and gets the same bytes back', async () => {
    const large = receipts(8, 100);
    const signed = await pool.sign(large, createdFor(large));
    expect(posted).toHaveBeenCalledTimes(1);
    expect(signed).toEqual(await inline.sign(large, createdFor(large)));
  });

  it('counts everything queued in one turn: many small calls together go to the worker, each answered with its own', async () => {
    const calls = [receipts(3, 0), receipts(3, 3), receipts(3, 6)];
    const answers = await Promise.all(calls.map((rs) => pool.sign(rs, createdFor(rs))));
    expect(posted).toHaveBeenCalledTimes(1);
    for (const [i, rs] of calls.entries()) expect(answers[i]).toEqual(await inline.sign(rs, createdFor(rs)));
  });

  it('never goes inline with inlineBelow 0', async () => {
    const always = new WorkerPoolReceiptSigner(NODE_KEY, { workers: 1, inlineBelow: 0 });
    try {
      const one = receipts(1);
      expect(await always.sign(one, createdFor(one))).toEqual(await inline.sign(one, createdFor(one)));
      expect(posted).toHaveBeenCalledTimes(1);
    } finally {
      await always.close();
    }
  });
});
