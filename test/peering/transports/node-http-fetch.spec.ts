import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isTimeoutError, nodeHttpFetch } from '@corridor/peering';

/** The peer transport's `fetch` on node's HTTP client, against a real server on loopback. */
describe('nodeHttpFetch', () => {
  let server: Server;
  let base: string;
  const seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string; socket: number }[] = [];
  const sockets = new Map<unknown, number>();
  let handler: (req: IncomingMessage, res: ServerResponse) => void;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (!sockets.has(req.socket)) sockets.set(req.socket, sockets.size);
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), socket: sockets.get(req.socket)! });
        handler(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  it('sends the method, headers and UTF-8 body with its length, and answers with status, headers and text', async () => {
    handler = (_req, res) => res.writeHead(202, { 'content-type': 'application/json', 'retry-after': '3' }).end('{"accepted":1,"note":"é"}');
    const fetch = nodeHttpFetch();
    const body = '{"x":"😀"}';
    const r = await fetch(`${base}/peering/messages`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json', authorization: 'CorridorSig abc' }, body });
    expect(r.status).toBe(202);
    expect(r.headers.get('retry-after')).toBe('3');
    expect(await r.text()).toBe('{"accepted":1,"note":"é"}');
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/peering/messages', body });
    expect(seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(seen[0]!.headers.authorization).toBe('CorridorSig abc');
  });

  it('keeps the connection alive between requests', async () => {
    handler = (_req, res) => res.end('ok');
    const fetch = nodeHttpFetch();
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${base}/r${i}`, {})).text()).toBe('ok');
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });

  it('gives a 204 an empty body and passes error statuses on as answers', async () => {
    const fetch = nodeHttpFetch();
    handler = (_req, res) => res.writeHead(204).end();
    expect(await (await fetch(`${base}/none`, {})).text()).toBe('');
    handler = (_req, res) => res.writeHead(413, { 'content-type': 'application/problem+json' }).end('{"type":"too-large"}');
    const r = await fetch(`${base}/big`, { method: 'POST', body: 'x' });
    expect([r.status, await r.text()]).toEqual([413, '{"type":"too-large"}']);
  });

  it('rejects with the signal’s reason when it aborts: a timeout reads as one', async () => {
    handler = () => undefined; // never answers
    const fetch = nodeHttpFetch();
    const error = await fetch(`${base}/slow`, { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
    expect(isTimeoutError(error)).toBe(true);
    const aborted = new AbortController();
    aborted.abort(new Error('stopped'));
    await expect(fetch(`${base}/never-sent`, { signal: aborted.signal })).rejects.toThrow('stopped');
    expect(seen.map((s) => s.url)).not.toContain('/never-sent');
  });

  it('sends again on a new connection when the peer had closed the idle one it reused (and only then)', async () => {
    // The server answers, then drops the connection at once: the next request, issued in the same turn, is handed the
    // dead keep-alive socket before its close has been read.
    handler = (req, res) => res.end('ok', () => req.socket.destroy());
    const fetch = nodeHttpFetch();
    for (let i = 0; i < 5; i++) expect(await (await fetch(`${base}/again${i}`, { method: 'POST', body: 'x' })).text()).toBe('ok');
    // Each request reached the server exactly once with its own answer: the failed attempts never got that far.
    expect(seen.map((s) => s.url)).toEqual(['/again0', '/again1', '/again2', '/again3', '/again4']);
    expect(new Set(seen.map((s) => s.socket)).size).toBe(5);
  });

  it('rejects when nothing listens, and on a protocol it does not speak', async () => {
    const fetch = nodeHttpFetch();
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(fetch(`http://127.0.0.1:${port}/`, {})).rejects.toThrow(/ECONNREFUSED/);
    await expect(fetch('ftp://127.0.0.1/', {})).rejects.toThrow(/unsupported protocol/);
  });
});
