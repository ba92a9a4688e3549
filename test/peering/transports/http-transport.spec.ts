import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalize } from '@corridor/protocol';
import type { JsonObject } from '@corridor/protocol';
import {
  decodeCloudEvent,
  decodeCloudEventBatch,
  encodeCloudEvent,
  HttpPeerTransport,
  PeerCatchUpClient,
  PeerMessageFormatError,
  PeerRequestError,
} from '@corridor/peering';
import type { PeerDelivery, PeerMessage, PeerTransportLogger } from '@corridor/peering';
import { freePort, waitFor } from '../../support/infra';
import { checkpointMessage, cosignatureMessage, newDid, receipt, receiptMessage, sequenceOf } from './peer-messages';

/**
 * The HTTP transport against real HTTP servers on loopback: the sender's queue, order, retries and drops, the
 * receiving side's `receive`, and the catch-up client against the node's read endpoints' shapes.
 */

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const RETRY = { initialMs: 20, maxMs: 400 };

interface Received {
  at: number;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Responder = (req: Received, res: ServerResponse) => void | Promise<void>;

/** A real HTTP server on 127.0.0.1 recording every request; `respond` decides each answer. */
class Receiver {
  readonly requests: Received[] = [];
  respond: Responder = (_req, res) => {
    res.statusCode = 204;
    res.end();
  };
  private server?: Server;
  port = 0;

  async listen(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const received: Received = { at: Date.now(), method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        this.requests.push(received);
        void Promise.resolve(this.respond(received, res)).catch((err) => {
          res.statusCode = 599;
          res.end(String(err));
        });
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

function capturingLogger(): PeerTransportLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (m) => lines.push(`log ${m}`), debug: (m) => lines.push(`debug ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function receiver(port?: number): Promise<Receiver> {
  const r = await new Receiver().listen(port);
  cleanup.push(() => r.close());
  return r;
}

/** A sending transport; one message per request unless `maxBatchMessages` says otherwise (batching has its own tests). */
function sender(peers: Map<string, string>, selfDid = newDid(), maxBatchMessages = 1): { transport: HttpPeerTransport; logger: ReturnType<typeof capturingLogger>; selfDid: string } {
  const logger = capturingLogger();
  const transport = new HttpPeerTransport({ selfDid, peers, retry: RETRY, logger, requestTimeoutMs: 2_000, maxBatchMessages });
  cleanup.push(() => transport.stop());
  return { transport, logger, selfDid };
}

const seqOfBody = (r: Received): number => sequenceOf(decodeCloudEvent(r.body).data);

describe('HttpPeerTransport: sending', () => {
  it('delivers every message in order, as a CloudEvent with its headers, to each peer in `to`', async () => {
    const one = await receiver();
    const two = await receiver();
    const didOne = newDid();
    const didTwo = newDid();
    const { transport, selfDid } = sender(new Map([[didOne, one.url], [didTwo, `${two.url}/`]]));
    await transport.start(async () => undefined);
    const corridor = 'org.example.pk-ae';
    const sent: PeerMessage[] = [];
    for (let i = 0; i < 25; i++) {
      const m = i % 5 === 4 ? checkpointMessage(corridor, i) : receiptMessage(corridor, i);
      sent.push(m);
      // `to` repeats a did and names this node: each peer gets the message once, this node never.
      await transport.publish(m, { to: [didOne, didTwo, didOne, selfDid], traceparent: TRACEPARENT });
    }
    await transport.idle();

    for (const r of [one, two]) {
      expect(r.requests).toHaveLength(25);
      expect(r.requests.map(seqOfBody)).toEqual(sent.map(sequenceOf));
      for (const [i, req] of r.requests.entries()) {
        expect(req.method).toBe('POST');
        expect(req.url).toBe('/peering/messages');
        expect(req.headers['content-type']).toBe('application/cloudevents+json');
        expect(req.headers.traceparent).toBe(TRACEPARENT);
        const event = decodeCloudEvent(req.body);
        expect(event.source).toBe(selfDid);
        expect(event.data).toEqual(sent[i]);
        expect(req.body).toBe(canonicalize(event));
      }
    }
    expect(transport.queues().map((q) => [q.peer, q.queued, q.delivered, q.rejected]).sort()).toEqual([[didOne, 0, 25, 0], [didTwo, 0, 25, 0]].sort());
  });

  it('retries 500s (and 503 with Retry-After, 429, 408) with growing backoff, holding later messages back', async () => {
    const r = await receiver();
    const failures = [500, 500, 503, 429, 408, 502];
    r.respond = (req, res) => {
      if (seqOfBody(req) === 1 && failures.length > 0) {
        const status = failures.shift()!;
        res.statusCode = status;
        if (status === 503) res.setHeader('retry-after', '0');
        res.setHeader('content-type', 'application/problem+json');
        res.end(JSON.stringify({ type: 'about:blank', title: 'busy', detail: `try later (${status})` }));
        return;
      }
      res.statusCode = 202;
      res.end();
    };
    const peer = newDid();
    const { transport, logger } = sender(new Map([[peer, r.url]]));
    for (let i = 0; i < 4; i++) await transport.publish(cosignatureMessage('c-retry', i), { to: [peer] });
    await waitFor(() => transport.queues()[0]?.attempts >= 2 && transport.queues()[0], { timeoutMs: 5_000, what: 'retries to start' });
    expect(transport.queues()[0].lastError).toMatch(/^HTTP (5\d\d|429|408): try later/);
    await transport.idle();

    const seqs = r.requests.map(seqOfBody);
    expect(seqs).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 2, 3]);
    // Gaps between the attempts at message 1 grow (exponential backoff from 20 ms), until the 400 ms cap.
    const attempts = r.requests.filter((q) => seqOfBody(q) === 1).map((q) => q.at);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    expect(gaps).toHaveLength(6);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(Math.min(400, 20 * 2 ** i) - 5));
    expect(transport.queues()[0]).toMatchObject({ queued: 0, delivered: 4, rejected: 0, attempts: 0 });
    expect(logger.lines.some((l) => l.startsWith('warn') && /attempt 1: HTTP 500: try later \(500\)/.test(l))).toBe(true);
  });

  it('drops a message the peer refuses with a 4xx, logs why, and goes on with the next', async () => {
    const r = await receiver();
    r.respond = (req, res) => {
      const seq = seqOfBody(req);
      res.statusCode = seq === 1 ? 400 : seq === 2 ? 422 : 204;
      res.setHeader('content-type', 'application/problem+json');
      res.end(seq < 3 && seq > 0 ? JSON.stringify({ title: 'Bad', detail: `receipt ${seq} does not verify` }) : '');
    };
    const peer = newDid();
    const { transport, logger } = sender(new Map([[peer, r.url]]));
    for (let i = 0; i < 4; i++) await transport.publish(receiptMessage('c-drop', i), { to: [peer] });
    await transport.idle();
    expect(r.requests.map(seqOfBody)).toEqual([0, 1, 2, 3]);
    expect(transport.queues()[0]).toMatchObject({ queued: 0, delivered: 2, rejected: 2 });
    const warnings = logger.lines.filter((l) => l.startsWith('warn') && l.includes('refused'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/refused receipt [0-9a-f]{64} of corridor c-drop: HTTP 400: receipt 1 does not verify; dropped/);
  });

  it('keeps retrying while the peer refuses connections, and delivers in order once it listens', async () => {
    const port = await freePort();
    const peer = newDid();
    const { transport } = sender(new Map([[peer, `http://127.0.0.1:${port}`]]));
    for (let i = 0; i < 3; i++) await transport.publish(receiptMessage('c-late', i), { to: [peer] });
    await waitFor(() => transport.queues()[0].attempts >= 3, { timeoutMs: 5_000, what: 'three refused attempts' });
    expect(transport.queues()[0]).toMatchObject({ queued: 3, delivered: 0 });
    expect(transport.queues()[0].lastError).toMatch(/fetch failed.*ECONNREFUSED|ECONNREFUSED/);
    const r = await receiver(port);
    await transport.idle();
    expect(r.requests.map(seqOfBody)).toEqual([0, 1, 2]);
  });

  it('a peer that never answers times out and is retried', async () => {
    const r = await receiver();
    let hang = true;
    r.respond = (_req, res) => {
      if (hang) {
        hang = false;
        return; // never answers
      }
      res.statusCode = 204;
      res.end();
    };
    const peer = newDid();
    const logger = capturingLogger();
    const transport = new HttpPeerTransport({ selfDid: newDid(), peers: new Map([[peer, r.url]]), retry: RETRY, logger, requestTimeoutMs: 200 });
    cleanup.push(() => transport.stop());
    await transport.publish(cosignatureMessage('c-slow', 0), { to: [peer] });
    await transport.idle();
    expect(r.requests).toHaveLength(2);
    expect(logger.lines.some((l) => /no answer within 200 ms/.test(l))).toBe(true);
  });

  it('refuses to queue for unknown peers, malformed messages and traceparents, and after stop()', async () => {
    const peer = newDid();
    const { transport } = sender(new Map([[peer, 'http://127.0.0.1:9']]));
    await expect(transport.publish(receiptMessage('c', 0), { to: [peer, 'did:key:zUnknown'] })).rejects.toThrow('no base URL for peer did:key:zUnknown');
    await expect(transport.publish({ kind: 'cosignature', corridor_id: 'c', sequence: -1, next_root: 'x', proof: {} }, { to: [peer] })).rejects.toBeInstanceOf(PeerMessageFormatError);
    await expect(transport.publish(receiptMessage('c', 0), { to: [peer], traceparent: 'nope' })).rejects.toThrow(/traceparent is not a W3C trace context value/);
    expect(transport.queues()).toEqual([]);
    await transport.start(async () => undefined);
    expect(transport.healthy()).toBe(true);
    await transport.stop();
    expect(transport.healthy()).toBe(false);
    await expect(transport.publish(receiptMessage('c', 0), { to: [peer] })).rejects.toThrow('after stop()');
  });
});

/** Every message a request carried, in order: one structured event, or a batch's events. */
const eventsOf = (r: Received) =>
  r.headers['content-type'] === 'application/cloudevents-batch+json' ? decodeCloudEventBatch(r.body) : [decodeCloudEvent(r.body)];

describe('HttpPeerTransport: batches', () => {
  it('what waits while a request is in flight goes in one batched-mode request, in order, each event keeping its traceparent', async () => {
    const r = await receiver();
    r.respond = async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 50)); // a slow peer: messages pile up meanwhile
      res.statusCode = 202;
      res.end();
    };
    const peer = newDid();
    const { transport } = sender(new Map([[peer, r.url]]), newDid(), 256);
    const traceOf = (i: number) => `00-${i.toString(16).padStart(32, '0')}-00f067aa0ba902b7-01`;
    for (let i = 0; i < 60; i++) await transport.publish(receiptMessage('c-batch', i), { to: [peer], traceparent: traceOf(i + 1) });
    await transport.idle();

    const events = r.requests.flatMap(eventsOf);
    expect(events.map((e) => sequenceOf(e.data))).toEqual([...Array(60).keys()]);
    expect(events.map((e) => e.traceparent)).toEqual([...Array(60).keys()].map((i) => traceOf(i + 1)));
    expect(r.requests.length).toBeLessThan(10); // not one request per message
    const batches = r.requests.filter((q) => q.headers['content-type'] === 'application/cloudevents-batch+json');
    expect(batches.length).toBeGreaterThan(0);
    for (const b of batches) {
      expect(JSON.parse(b.body)).toBeInstanceOf(Array);
      expect(b.headers.traceparent).toBe(eventsOf(b)[0]!.traceparent); // the request continues its first message's trace
    }
    expect(transport.queues()[0]).toMatchObject({ queued: 0, delivered: 60, rejected: 0 });
  });

  it('keeps a batch within maxBatchBytes and maxBatchMessages', async () => {
    const r = await receiver();
    let first = true;
    r.respond = async (_req, res) => {
      if (first) await new Promise((resolve) => setTimeout(resolve, 50));
      first = false;
      res.statusCode = 202;
      res.end();
    };
    const peer = newDid();
    const one = Buffer.byteLength(encodeCloudEvent(receiptMessage('c-size', 1), { source: newDid() }));
    const transport = new HttpPeerTransport({ selfDid: newDid(), peers: new Map([[peer, r.url]]), retry: RETRY, logger: capturingLogger(), maxBatchMessages: 7, maxBatchBytes: one * 4 });
    cleanup.push(() => transport.stop());
    for (let i = 0; i < 30; i++) await transport.publish(receiptMessage('c-size', i), { to: [peer] });
    await transport.idle();
    expect(r.requests.flatMap(eventsOf).map((e) => sequenceOf(e.data))).toEqual([...Array(30).keys()]);
    for (const q of r.requests) {
      expect(Buffer.byteLength(q.body)).toBeLessThanOrEqual(one * 4 + 200);
      expect(eventsOf(q).length).toBeLessThanOrEqual(7);
    }
    expect(Math.max(...r.requests.map((q) => eventsOf(q).length))).toBeGreaterThan(1);
  });

  it('a 413 makes the batches smaller and nothing is lost; another 4xx drops the whole batch', async () => {
    const r = await receiver();
    let slow = true;
    r.respond = async (req, res) => {
      if (slow) await new Promise((resolve) => setTimeout(resolve, 50));
      slow = false;
      const n = eventsOf(req).length;
      res.statusCode = n > 2 ? 413 : 202;
      res.end();
    };
    const peer = newDid();
    const { transport, logger } = sender(new Map([[peer, r.url]]), newDid(), 64);
    for (let i = 0; i < 20; i++) await transport.publish(receiptMessage('c-413', i), { to: [peer] });
    await transport.idle();
    const delivered = r.requests.filter((q) => eventsOf(q).length <= 2).flatMap(eventsOf);
    expect(delivered.map((e) => sequenceOf(e.data))).toEqual([...Array(20).keys()]);
    expect(transport.queues()[0]).toMatchObject({ delivered: 20, rejected: 0 });
    expect(logger.lines.some((l) => /found a batch of \d+ too large; sending at most \d+ per request/.test(l))).toBe(true);

    const refusing = await receiver();
    let hold = true;
    refusing.respond = async (req, res) => {
      if (hold) await new Promise((resolve) => setTimeout(resolve, 50));
      hold = false;
      res.statusCode = eventsOf(req).length > 1 ? 400 : 202;
      res.end();
    };
    const other = newDid();
    const s2 = sender(new Map([[other, refusing.url]]), newDid(), 64);
    for (let i = 0; i < 10; i++) await s2.transport.publish(receiptMessage('c-400', i), { to: [other] });
    await s2.transport.idle();
    expect(s2.transport.queues()[0]).toMatchObject({ queued: 0, delivered: 1, rejected: 9 });
    expect(s2.logger.lines.some((l) => /refused a batch of 9 messages \(receipt [0-9a-f]{64} first\) of corridor c-400: HTTP 400; dropped/.test(l))).toBe(true);
  });

  it('receiveBatch checks every event before handing any over, then hands them over in order without waiting; one failure fails the batch', async () => {
    const self = newDid();
    const peerDid = newDid();
    const t = new HttpPeerTransport({ selfDid: self, peers: new Map(), retry: RETRY, logger: capturingLogger() });
    cleanup.push(() => t.stop());
    const started: number[] = [];
    const finish: Array<() => void> = [];
    let failSeq = -1;
    await t.start((message) => {
      started.push(sequenceOf(message));
      if (sequenceOf(message) === failSeq) return Promise.reject(new Error('disk full'));
      return new Promise<void>((resolve) => finish.push(resolve));
    });
    const batch = (events: string[]) => `[${events.join(',')}]`;
    const ev = (i: number, source = peerDid) => encodeCloudEvent(receiptMessage('c-in', i), { source });
    const headers = { 'content-type': 'application/cloudevents-batch+json' };

    // A malformed event anywhere: nothing handed over.
    await expect(t.receive(batch([ev(0), ev(1), '{"specversion":"1.0"}']), headers)).rejects.toThrow(/event \[2\]/);
    await expect(t.receive('[]', headers)).rejects.toThrow(/at least one event/);
    await expect(t.receive('{"not":"an array"}', headers)).rejects.toThrow(/must be a JSON array/);
    expect(started).toEqual([]);

    // Every handler called before any resolved; the answer waits for all of them. Own events are skipped.
    const pending = t.receiveBatch(batch([ev(0), ev(1, self), ev(2), ev(3)]), headers);
    await waitFor(() => started.length === 3, { timeoutMs: 2_000, what: 'three handlers started' });
    expect(started).toEqual([0, 2, 3]);
    let done = false;
    void pending.then(() => (done = true));
    finish.splice(0, 2).forEach((f) => f());
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(done).toBe(false);
    finish.splice(0).forEach((f) => f());
    expect((await pending).map((x) => x.outcome)).toEqual(['handled', 'own', 'handled', 'handled']);

    failSeq = 5;
    const failing = t.receiveBatch(batch([ev(4), ev(5), ev(6)]), headers);
    await waitFor(() => finish.length === 2, { timeoutMs: 2_000, what: 'the other two handlers' });
    finish.splice(0).forEach((f) => f());
    await expect(failing).rejects.toThrow('disk full');
  });
});

describe('HttpPeerTransport: receiving (what the node controller calls)', () => {
  it('end to end: the receiving node serves POST /peering/messages through receive(), and its handler sees them in order', async () => {
    const receiverDid = newDid();
    const inbound = new HttpPeerTransport({ selfDid: receiverDid, peers: new Map(), retry: RETRY, logger: capturingLogger() });
    cleanup.push(() => inbound.stop());
    const got: Array<{ message: PeerMessage; delivery: PeerDelivery }> = [];
    let failOnce = true;
    await inbound.start(async (message, delivery) => {
      if (sequenceOf(message) === 2 && failOnce) {
        failOnce = false;
        throw new Error('store busy');
      }
      got.push({ message, delivery });
    });
    // A stand-in for the node's controller: 202 when handled, 400 for a format error, 503 when the handler failed.
    const server = await receiver();
    server.respond = async (req, res) => {
      try {
        await inbound.receive(req.body, req.headers);
        res.statusCode = 202;
      } catch (err) {
        res.statusCode = err instanceof PeerMessageFormatError ? 400 : 503;
      }
      res.end();
    };
    const { transport: outbound, selfDid } = sender(new Map([[receiverDid, server.url]]));
    for (let i = 0; i < 5; i++) await outbound.publish(receiptMessage('c-e2e', i), { to: [receiverDid], traceparent: TRACEPARENT });
    await outbound.idle();
    expect(got.map((g) => sequenceOf(g.message))).toEqual([0, 1, 2, 3, 4]);
    expect(server.requests).toHaveLength(6); // message 2 twice
    for (const { message, delivery } of got) {
      expect(delivery).toEqual({ source: selfDid, traceparent: TRACEPARENT, id: (message as { receipt: JsonObject }).receipt.next_root });
    }
  });

  it('receive() checks the content type, skips own messages, and passes handler failures on', async () => {
    const self = newDid();
    const t = new HttpPeerTransport({ selfDid: self, peers: new Map(), retry: RETRY, logger: capturingLogger() });
    cleanup.push(() => t.stop());
    const body = encodeCloudEvent(cosignatureMessage('c', 1), { source: newDid() });
    await expect(t.receive(body, {})).rejects.toThrow(/not receiving/);
    const seen: PeerMessage[] = [];
    await t.start(async (m) => {
      if (m.kind === 'checkpoint') throw new Error('not now');
      seen.push(m);
    });
    await expect(t.receive(body, { 'Content-Type': 'application/json' })).rejects.toThrow(/Content-Type must be application\/cloudevents\+json/);
    await expect(t.receive('{"specversion":"1.0"}', {})).rejects.toBeInstanceOf(PeerMessageFormatError);
    expect(await t.receive(body, { 'content-type': 'application/cloudevents+json; charset=utf-8', traceparent: 'garbage' })).toMatchObject({ outcome: 'handled' });
    expect(await t.receive(encodeCloudEvent(cosignatureMessage('c', 2), { source: self }), {})).toMatchObject({ outcome: 'own' });
    await expect(t.receive(encodeCloudEvent(checkpointMessage('c', 3), { source: newDid() }), {})).rejects.toThrow('not now');
    expect(seen.map(sequenceOf)).toEqual([1]);
  });
});

describe('PeerCatchUpClient', () => {
  it('reads receipts pages and the checkpoint from the read endpoints, exactly', async () => {
    const r = await receiver();
    const corridor = 'org.example.pk-ae';
    const receipts = [receipt(corridor, 4, { big: 2n ** 70n }), receipt(corridor, 5)];
    const checkpoint = { corridor_id: corridor, receipt_count: 6, mmr: { size: 6, root: 'ab'.repeat(32), peaks: [] } };
    r.respond = (req, res) => {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      const url = new URL(req.url, 'http://x');
      if (url.pathname === `/base/corridors/${corridor}/receipts`) {
        res.end(canonicalize({ stream: `corridor-${corridor}`, receipts: receipts.slice(0, Number(url.searchParams.get('limit'))), head: 5 }));
      } else if (url.pathname === `/base/corridors/${corridor}/checkpoint`) {
        res.end(canonicalize(checkpoint));
      } else {
        res.statusCode = 404;
        res.setHeader('content-type', 'application/problem+json');
        res.end(JSON.stringify({ title: 'Not found', detail: `${url.pathname} has no receipts` }));
      }
    };
    const client = new PeerCatchUpClient({ timeoutMs: 2_000 });
    const page = await client.fetchReceipts(`${r.url}/base/`, corridor, 3, 2);
    expect(page).toEqual(receipts);
    expect(page[0].big).toBe(2n ** 70n);
    expect(r.requests[0].url).toBe(`/base/corridors/${corridor}/receipts?after=3&limit=2`);
    expect(await client.fetchCheckpoint(`${r.url}/base`, corridor)).toEqual(checkpoint);
    expect(await client.fetchCheckpoint(`${r.url}/base`, 'empty')).toBeNull();
    await expect(client.fetchReceipts(`${r.url}/base`, 'none', -1, 100)).rejects.toThrow(/HTTP 404: \/base\/corridors\/none\/receipts has no receipts/);
    await expect(client.fetchReceipts(r.url, corridor, -2, 10)).rejects.toThrow(RangeError);
    await expect(client.fetchReceipts(r.url, corridor, 0, 1001)).rejects.toThrow(RangeError);
  });

  it('refuses floats and wrong shapes, and gives up after its timeout', async () => {
    const r = await receiver();
    r.respond = (req, res) => {
      if (req.url.includes('/slow/')) return; // never answers
      res.setHeader('content-type', 'application/json');
      res.end(req.url.includes('/float/') ? '{"receipts":[{"amount":1.5}]}' : req.url.includes('/shape/') ? '{"receipts":{}}' : '[]');
    };
    const client = new PeerCatchUpClient({ timeoutMs: 300 });
    const err = await client.fetchReceipts(r.url, 'c', -1, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PeerRequestError);
    await expect(client.fetchReceipts(`${r.url}/float`, 'c', -1, 10)).rejects.toThrow(/not acceptable JSON: .*Floats are not allowed/);
    await expect(client.fetchReceipts(`${r.url}/shape`, 'c', -1, 10)).rejects.toThrow(/no "receipts" array/);
    await expect(client.fetchCheckpoint(`${r.url}/slow`, 'c')).rejects.toThrow(/no answer within 300 ms/);
  });
});
