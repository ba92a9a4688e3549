import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommandGate } from './command-gate';

/** A plain HTTP server behind the gate: `/slow` answers when released, `/stream` is an event stream. */
function serve(gate: CommandGate) {
  const release: Array<() => void> = [];
  const server: Server = createServer((req, res) =>
    gate.middleware(req, res, () => {
      if (req.url === '/stream') {
        res.setHeader('content-type', 'text/event-stream');
        res.writeHead(200);
        res.write(': hello\n\n');
        return;
      }
      const answer = () => {
        res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      };
      req.resume();
      req.on('end', () => (req.url === '/slow' ? release.push(answer) : answer()));
    }),
  );
  return new Promise<{ url: string; server: Server; release: typeof release }>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, release })),
  );
}

/** One request on its own connection: status, headers, body. */
function call(url: string, method: string, path: string, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url + path, { method, agent: false, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the command gate', () => {
  it('admits everything while serving; once draining refuses commands with a 503 problem, serves reads, and lets in-flight commands finish', async () => {
    const gate = new CommandGate();
    const { url, server, release } = await serve(gate);
    try {
      expect((await call(url, 'POST', '/x', '{"a":1}')).status).toBe(201);

      const slow = call(url, 'POST', '/slow', '{"a":2}');
      await new Promise((r) => setTimeout(r, 50));
      expect(gate.commandsInFlight).toBe(1);

      gate.beginDrain();
      expect(gate.state).toBe('draining');
      const refused = await call(url, 'POST', '/x', JSON.stringify({ pad: 'x'.repeat(100_000) }));
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(refused.body)).toMatchObject({ type: 'https://corridor-ledger.dev/problems/shutting-down', status: 503, instance: '/x' });
      expect((await call(url, 'DELETE', '/x')).status).toBe(503);

      const read = await call(url, 'GET', '/x');
      expect(read.status).toBe(200);
      expect(read.headers.connection).toBe('close');

      let drained = false;
      const done = gate.whenNoCommands(Date.now() + 5000).then((ok) => (drained = ok));
      await new Promise((r) => setTimeout(r, 50));
      expect(drained).toBe(false);
      release.shift()!();
      expect((await slow).status).toBe(201); // admitted before the drain: answered
      await done;
      expect(drained).toBe(true);
      expect(gate.commandsInFlight).toBe(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('does not wait for event streams, and gives up at the deadline', async () => {
    const gate = new CommandGate();
    const { url, server, release } = await serve(gate);
    try {
      await new Promise<void>((resolve) => request(url + '/stream', { agent: false }, () => resolve()).end());
      void call(url, 'GET', '/slow').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
      expect(gate.requestsInFlight).toBe(1); // the slow read; the stream is not counted
      expect(await gate.whenNoRequests(Date.now() + 100)).toBe(false);
      release.shift()!();
      expect(await gate.whenNoRequests(Date.now() + 5000)).toBe(true);
      gate.enter('stopping');
      gate.beginDrain(); // never back
      expect(gate.state).toBe('stopping');
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
