/**
 * Limits of the HTTP server and what errors look like: oversized heads (431), slow heads and slow bodies (408),
 * keep-alive, no X-Powered-By — and no stack trace, internal path or internal message in any answer.
 */
import { connect, type Socket } from 'node:net';
import type { Server } from 'node:http';
import { ChainReader } from '../../apps/node/src/chains/chain-reader';
import { startTestNode, TEST_OPERATOR_TOKEN, type TestNode } from '../support/node-harness';
import { PROBLEM } from './security-fixture';

jest.setTimeout(60_000);

/** Writes `chunks` (with pauses) on a raw connection and resolves with everything the server answered. */
function rawExchange(url: string, chunks: string[], pauseMs = 0): Promise<{ answer: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(Number(new URL(url).port), '127.0.0.1');
    let answer = '';
    sock.on('data', (d) => (answer += d.toString('latin1')));
    sock.on('close', () => resolve({ answer, ms: Date.now() - started }));
    sock.on('error', (e) => (answer ? resolve({ answer, ms: Date.now() - started }) : reject(e)));
    void (async () => {
      for (const c of chunks) {
        if (sock.destroyed) return;
        sock.write(c);
        if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  });
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
const bodyOf = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4);
const NO_INTERNALS = /\n\s+at |node_modules|\/src\/|\.ts:\d|ENOENT|SQLITE|\/tmp\//;

describe('HTTP limits', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ env: { CORRIDOR_MAX_HEADER_BYTES: '4096', CORRIDOR_HEADERS_TIMEOUT_MS: '1000', CORRIDOR_REQUEST_TIMEOUT_MS: '2000', CORRIDOR_KEEP_ALIVE_TIMEOUT_MS: '700' } });
  });
  afterAll(async () => node?.close());

  it('the server runs with the configured limits and without X-Powered-By', async () => {
    const server = node.app.getHttpServer() as Server & { maxHeaderSize?: number };
    expect([server.maxHeaderSize, server.headersTimeout, server.requestTimeout, server.keepAliveTimeout]).toEqual([4096, 1000, 2000, 700]);
    const r = await node.api('GET', '/node');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-powered-by')).toBeNull();
  });

  it('a request head larger than CORRIDOR_MAX_HEADER_BYTES: 431, a short problem, the connection closed', async () => {
    const { answer } = await rawExchange(node.url, [`GET /node HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_OPERATOR_TOKEN}\r\nX-Padding: ${'a'.repeat(8000)}\r\n\r\n`]);
    expect(statusOf(answer)).toBe(431);
    expect(JSON.parse(bodyOf(answer))).toMatchObject({ type: PROBLEM + 'headers-too-large', status: 431 });
    expect(answer).not.toMatch(NO_INTERNALS);
  });

  it('a head that does not arrive within CORRIDOR_HEADERS_TIMEOUT_MS: 408 and closed (slow-loris)', async () => {
    const { answer, ms } = await rawExchange(node.url, ['GET /node HTTP/1.1\r\n', 'Host: x\r\n', 'X-A: 1\r\n', 'X-B: 1\r\n', 'X-C: 1\r\n', 'X-D: 1\r\n', 'X-E: 1\r\n'], 500);
    expect(statusOf(answer)).toBe(408);
    expect(ms).toBeLessThan(5000);
    expect(JSON.parse(bodyOf(answer))).toMatchObject({ type: PROBLEM + 'request-timeout', status: 408 });
  });

  it('a body that does not arrive within CORRIDOR_REQUEST_TIMEOUT_MS: 408 and closed', async () => {
    const head = `POST /corridors HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_OPERATOR_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`;
    const { answer, ms } = await rawExchange(node.url, [head, '{"a":', '1', '', '', '', '', '', ''], 500);
    expect(statusOf(answer)).toBe(408);
    expect(ms).toBeLessThan(6000);
  });

  it('an unauthenticated request is answered before its body is read', async () => {
    const head = 'POST /corridors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n';
    const { answer, ms } = await rawExchange(node.url, [head]);
    expect(statusOf(answer)).toBe(401);
    expect(ms).toBeLessThan(1500);
  });
});

describe('errors never show internals', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => node?.close());

  it('a forced internal error answers a generic 500 problem: no stack, no path, no message', async () => {
    const chains = node.app.get(ChainReader);
    const failure = new Error(`ENOENT: no such file or directory, open '/var/lib/corridor/data/ledger.sqlite' (SQLITE_CANTOPEN)`);
    failure.stack = `${failure.message}\n    at ChainReader.checkpoint (/srv/corridor/apps/node/src/chains/chain-reader.ts:74:11)`;
    const spies = [
      jest.spyOn(chains, 'checkpoint').mockRejectedValue(failure),
      jest.spyOn(chains, 'receipts').mockImplementation(() => {
        throw new TypeError("Cannot read properties of undefined (reading 'revision') at /srv/corridor/node_modules/x.js");
      }),
    ];
    try {
      for (const path of ['/corridors/org.example.x/checkpoint', '/corridors/org.example.x/receipts']) {
        const r = await node.api('GET', path);
        expect(r.status).toBe(500);
        expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(r.body).toEqual({ type: PROBLEM + 'internal-error', title: 'Internal error', status: 500, detail: 'the node failed to process the request; the failure has been logged', instance: path });
        expect(r.text).not.toMatch(NO_INTERNALS);
        expect(r.text).not.toMatch(/srv|revision|Cannot read/);
      }
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect((await node.api('GET', '/corridors/org.example.x/checkpoint')).status).toBe(404);
  });

  it('refusals of every kind are problem documents without internals', async () => {
    const answers = [
      await node.api('GET', '/no/such/path'),
      await node.api('GET', '/corridors/x/receipts/not-a-number'),
      await node.api('POST', '/corridors', '{"a": 1.5}'),
      await node.api('POST', '/corridors', '{broken'),
      await node.api('POST', '/corridors', 'x'.repeat(300_000)),
      await node.api('GET', '/corridors/%E0%A4%A/receipts'),
      await node.as('anonymous').api('GET', '/corridors/x'),
    ];
    for (const r of answers) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(r.text).not.toMatch(NO_INTERNALS);
    }
  });
});
