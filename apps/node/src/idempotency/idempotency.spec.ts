import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { canonicalize, sha256Hex } from '@corridor/protocol';
import { idempotencyMiddleware, type InDoubtResolver } from './idempotency.middleware';
import { IdempotencyStore } from './idempotency.store';
import { currentRequestContext } from './request-context';

/**
 * The middleware in front of a command handler that, like the node's, tells the context its target stream (and waits
 * for that to be recorded) before it takes effect; `hold` keeps a command running until released.
 */
async function serve(store: IdempotencyStore, resolveInDoubt: InDoubtResolver = async () => undefined) {
  const effects: string[] = [];
  const held: (() => void)[] = [];
  const app = express();
  app.use(express.json());
  app.use(idempotencyMiddleware(store, resolveInDoubt));
  app.post('/commands', async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (req.body.hold) await new Promise<void>((resolve) => held.push(resolve));
      await currentRequestContext()?.onTargetStream?.('stream-1');
      if (req.body.fail) return res.status(500).send('{"failed":true}');
      effects.push(String(req.body.n));
      res.status(201).type('application/json').send(JSON.stringify({ n: req.body.n, effect: effects.length }));
    } catch (e) {
      next(e);
    }
  });
  app.use((e: { status?: number; slug?: string }, _req: Request, res: Response, _next: NextFunction) => void res.status(e.status ?? 500).send(JSON.stringify({ slug: e.slug })));
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/commands`;
  const post = async (body: object, key?: string) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) }, body: JSON.stringify(body) });
    return { status: r.status, text: await r.text(), replayed: r.headers.get('idempotent-replayed') };
  };
  return { effects, held, post, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('Idempotency-Key', () => {
  let dir: string;
  let store: IdempotencyStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idempotency-'));
    store = new IdempotencyStore(join(dir, 'node.sqlite'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('same key, same request: the first answer again, one effect; a different request with it: 422', async () => {
    const node = await serve(store);
    try {
      const first = await node.post({ n: 1 }, 'k-1');
      const again = await node.post({ n: 1 }, 'k-1');
      expect([first.status, again.status, again.text, again.replayed]).toEqual([201, 201, first.text, 'true']);
      expect(node.effects).toEqual(['1']);
      expect(JSON.parse((await node.post({ n: 2 }, 'k-1')).text).slug).toBe('idempotency-key-reused');
    } finally {
      await node.close();
    }
  });

  it('while the first request runs: the same request gets 409, a different one 422; the answer is recorded before it is sent', async () => {
    const node = await serve(store);
    try {
      const first = node.post({ n: 1, hold: true }, 'k-2');
      while (node.held.length === 0) await new Promise((r) => setTimeout(r, 2));
      expect(JSON.parse((await node.post({ n: 1, hold: true }, 'k-2')).text).slug).toBe('idempotency-key-in-flight');
      expect(JSON.parse((await node.post({ n: 9 }, 'k-2')).text).slug).toBe('idempotency-key-reused');
      node.held[0]!();
      const answer = await first;
      expect(answer.status).toBe(201);
      expect(store.get('k-2')).toEqual({ state: 'done', fingerprint: expect.any(String), answer: { status: 201, body: answer.text } });
      expect(node.effects).toEqual(['1']);
    } finally {
      await node.close();
    }
  });

  it('forgets the key of a request that failed (5xx), so that it can be retried', async () => {
    const node = await serve(store);
    try {
      expect((await node.post({ n: 1, fail: true }, 'k-3')).status).toBe(500);
      expect(store.get('k-3')).toBeUndefined();
      expect((await node.post({ n: 1 }, 'k-3')).status).toBe(201);
    } finally {
      await node.close();
    }
  });

  it('a key left in doubt by a crash is answered from its stream, without running the command again', async () => {
    // What a crash between the append and the answer leaves: the key begun, its target recorded, no answer.
    await store.begin('k-4', sha256Hex(`POST /commands\n${canonicalize({ n: 1 })}`));
    await store.targetStream('k-4', 'stream-1');
    const resolver: InDoubtResolver = async (stream, key) => (stream === 'stream-1' && key === 'k-4' ? { status: 201, body: '{"from":"stream"}' } : undefined);
    const node = await serve(store, resolver);
    try {
      expect(await node.post({ n: 1 }, 'k-4')).toEqual({ status: 201, text: '{"from":"stream"}', replayed: 'true' });
      expect(node.effects).toEqual([]);
      expect(store.get('k-4')).toMatchObject({ state: 'done', answer: { status: 201, body: '{"from":"stream"}' } });
    } finally {
      await node.close();
    }
  });

  it('group-commits: the writes of requests made together share one transaction, and every one is durable', async () => {
    const commits = jest.spyOn(store as unknown as { commit: (w: unknown[]) => void }, 'commit');
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.begin(`g-${i}`, `f-${i}`)));
    expect(commits).toHaveBeenCalledTimes(1);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.finish(`g-${i}`, { status: 201, body: `{"i":${i}}` })));
    expect(commits).toHaveBeenCalledTimes(2);
    store.close();
    store = new IdempotencyStore(join(dir, 'node.sqlite'));
    expect(store.get('g-7')).toEqual({ state: 'done', fingerprint: 'f-7', answer: { status: 201, body: '{"i":7}' } });
  });

  it('a write queued when the store closes is committed before it closes', async () => {
    const written = store.begin('c-1', 'f');
    store.close();
    await written;
    store = new IdempotencyStore(join(dir, 'node.sqlite'));
    expect(store.get('c-1')).toEqual({ state: 'in-doubt', fingerprint: 'f', stream: null });
  });
});
