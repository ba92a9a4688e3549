import { gzipSync } from 'node:zlib';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import { canonicalize, digestOf, parseJsonText, type JsonObject } from '@corridor/protocol';
import { IdempotencyStore } from '../../apps/node/src/idempotency/idempotency.store';
import { IDEMPOTENCY_STORE } from '../../apps/node/src/infrastructure/tokens';
import { activeCorridor } from '../support/example-corridor';
import { startTestNode, TEST_OPERATOR_TOKEN, type TestNode } from '../support/node-harness';

/**
 * POST /corridors/{id}/transitions in its canonical form runs on the node's straight-line lane
 * (apps/node/src/http/transition-lane.ts); any other form of the same route (here: a trailing slash) goes through the
 * Express router and Nest as every other route does. Both must answer every request the same way.
 */
describe('the transition lane answers as the router does', () => {
  let node: TestNode;
  let store: EventStore;
  const ID = 'org.example.pk-ae.lane';
  const LANE = `/corridors/${ID}/transitions`;
  const ROUTER = `/corridors/${ID}/transitions/`;

  beforeAll(async () => {
    node = await startTestNode();
    store = node.app.get<EventStore>(EVENT_STORE);
    await activeCorridor(node, ID);
  });
  afterAll(async () => node?.close());

  async function send(path: string, body: string | Buffer | undefined, headers: Record<string, string>) {
    const res = await fetch(node.url + path, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, type: res.headers.get('content-type'), etag: res.headers.has('etag'), body: parsed, replayed: res.headers.get('idempotent-replayed'), retryAfter: res.headers.get('retry-after'), challenge: res.headers.get('www-authenticate') };
  }

  /** What must be equal between the two paths: everything but the request path itself and the receipts' own facts. */
  function comparable(a: Awaited<ReturnType<typeof send>>) {
    const body = typeof a.body === 'object' && a.body !== null ? { ...a.body } : a.body;
    if (body && typeof body === 'object') {
      delete body.instance;
      if (Array.isArray(body.receipts)) body.receipts = body.receipts.map((r: any) => ({ stream: r.stream, transition: r.receipt.transition }));
    }
    return { ...a, body };
  }

  const auth = { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const valid = (n: string) => JSON.stringify({ transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: n, amount: '1250.00', currency: 'USD' } } });

  const cases: [string, (n: string) => { body?: string | Buffer; headers: Record<string, string> }, number][] = [
    ['a valid transition', (n) => ({ body: valid(n), headers: json }), 201],
    ['charset=utf-8 and a byte-order mark', (n) => ({ body: '\ufeff' + valid(n), headers: { ...auth, 'content-type': 'application/json; charset=utf-8' } }), 201],
    ['a gzip-encoded body (read by body-parser)', (n) => ({ body: gzipSync(valid(n)), headers: { ...json, 'content-encoding': 'gzip' } }), 201],
    ['application/merge-patch+json (read by body-parser)', (n) => ({ body: valid(n), headers: { ...auth, 'content-type': 'application/merge-patch+json' } }), 201],
    ['no credentials', (n) => ({ body: valid(n), headers: { 'content-type': 'application/json' } }), 401],
    ['an unknown token', (n) => ({ body: valid(n), headers: { authorization: 'Bearer nope', 'content-type': 'application/json' } }), 401],
    ['malformed JSON', () => ({ body: '{"transition": {', headers: json }), 400],
    ['a float', () => ({ body: '{"transition":{"kind":"trade.invoice.issued.v1","payload":{"amount":1.5}}}', headers: json }), 400],
    ['an array body', () => ({ body: '[1]', headers: json }), 400],
    ['no body', () => ({ headers: auth }), 400],
    ['an unknown field', () => ({ body: '{"transition":{"kind":"trade.invoice.issued.v1","payload":{}},"extra":1}', headers: json }), 400],
    ['a top-level __proto__ field', () => ({ body: '{"transition":{"kind":"trade.invoice.issued.v1","payload":{}},"__proto__":{"x":1}}', headers: json }), 400],
    ['a top-level constructor field', () => ({ body: '{"constructor":{},"transition":{"kind":"trade.invoice.issued.v1","payload":{}}}', headers: json }), 400],
    ['a transition that is not an object', () => ({ body: '{"transition":[1]}', headers: json }), 400],
    ['text/plain', (n) => ({ body: valid(n), headers: { ...auth, 'content-type': 'text/plain' } }), 415],
    ['an unsupported charset', (n) => ({ body: valid(n), headers: { ...auth, 'content-type': 'application/json; charset=klingon' } }), 415],
    ['a body beyond the limit', () => ({ body: JSON.stringify({ transition: { kind: 'x', payload: 'x'.repeat(2_000_000) } }), headers: json }), 413],
    ['an invalid Idempotency-Key', (n) => ({ body: valid(n), headers: { ...json, 'idempotency-key': 'bad key with spaces' } }), 400],
    ['an unregistered kind', () => ({ body: '{"transition":{"kind":"no.such.kind.v1","payload":{}}}', headers: json }), 422],
    ['a payload its kind schema refuses', () => ({ body: '{"transition":{"kind":"migration.step.completed.v1","payload":{"migration_id":"m-1","step":"Not A Step"}}}', headers: json }), 422],
  ];

  it('takes the canonical form in front of Express (the command gate then the lane), anything else through Express', () => {
    const server = node.app.getHttpServer();
    const express = node.app.getHttpAdapter().getInstance();
    expect(server.listeners('request')).toHaveLength(1);
    expect(server.listeners('request')[0]).not.toBe(express);
  });

  it.each(cases)('%s', async (_name, make, expected) => {
    const before = (await store.readAll()).length;
    const viaLane = make(`INV-${_name}`);
    const viaRouter = make(`INV-${_name}`);
    const lane = await send(LANE, viaLane.body, viaLane.headers);
    const router = await send(ROUTER, viaRouter.body, viaRouter.headers);
    expect(lane.status).toBe(expected);
    expect(comparable(lane)).toEqual(comparable(router));
    const after = (await store.readAll()).length;
    expect(after - before).toBe(expected === 201 ? 2 : 0);
  });

  it('answers 404 for an unknown corridor on both paths', async () => {
    const lane = await send('/corridors/no.such.corridor/transitions', valid('x'), json);
    const router = await send('/corridors/no.such.corridor/transitions/', valid('x'), json);
    expect(lane.status).toBeGreaterThanOrEqual(400);
    expect(comparable(lane)).toEqual(comparable(router));
  });

  it('replays an Idempotency-Key answer byte for byte and refuses the key for another request, on both paths', async () => {
    for (const path of [LANE, ROUTER]) {
      const key = `lane-key-${path.length}`;
      const first = await send(path, valid(`K-${path.length}`), { ...json, 'idempotency-key': key });
      // The answer is recorded before the client sees it (a replay must not depend on resolving it from the stream).
      expect(node.app.get<IdempotencyStore>(IDEMPOTENCY_STORE).get(key)).toMatchObject({ state: 'done', answer: { status: 201 } });
      const again = await send(path, valid(`K-${path.length}`), { ...json, 'idempotency-key': key });
      const other = await send(path, valid('another'), { ...json, 'idempotency-key': key });
      expect(first.status).toBe(201);
      expect(again).toEqual({ ...first, replayed: 'true' });
      expect(other.status).toBe(422);
      expect(other.body.type).toMatch(/idempotency-key-reused$/);
    }
  });
});

/**
 * A transition's payload is stored exactly as sent — also keys named `__proto__`, `constructor`, `prototype` or
 * `toString`, which the global ValidationPipe used to delete (changing the payload, and so its payload_sha256, behind
 * the client's back). They are data: no prototype is touched.
 */
describe('transition payloads are stored as sent', () => {
  let node: TestNode;
  const ID = 'org.example.pk-ae.proto-keys';

  beforeAll(async () => {
    node = await startTestNode();
    await activeCorridor(node, ID);
  });
  afterAll(async () => node?.close());

  const text = '{"transition":{"kind":"trade.invoice.issued.v1","payload":{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":1,"toString":"s","nested":[{"__proto__":null}],"amount":"1250.00"}}}';
  const sent = (parseJsonText(text) as JsonObject).transition as JsonObject;

  it.each([
    ['the lane', `/corridors/${ID}/transitions`],
    ['the router', `/corridors/${ID}/transitions/`],
  ])('through %s', async (_via, path) => {
    const r = await node.api('POST', path, text);
    expect(r.status).toBe(201);
    const receipt = parseJsonText(JSON.stringify(r.body.receipts[0].receipt)) as JsonObject;
    const envelope = receipt.transition as JsonObject;
    expect(canonicalize(envelope.payload)).toBe(canonicalize(sent.payload));
    expect(Object.keys(envelope.payload as object)).toEqual(['__proto__', 'amount', 'constructor', 'nested', 'prototype', 'toString']);
    expect(envelope.payload_sha256).toBe(digestOf(sent.payload!));
    // Read back from the chain: the same bytes.
    const seq = receipt.sequence as number;
    const stored = await node.api('GET', `/corridors/${ID}/receipts/${seq}`);
    expect(stored.status).toBe(200);
    expect(canonicalize((parseJsonText(stored.text) as any).transition?.payload ?? (parseJsonText(stored.text) as any).receipt?.transition?.payload)).toBe(canonicalize(sent.payload));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });
});
