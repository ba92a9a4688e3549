/**
 * One trace across two nodes (spec/telemetry.md): a client's transition on the sequencing node (PK) is followed from
 * its HTTP request through the command, the append and the Kafka send, into the co-signing node (AE) — receipt
 * verification, append, co-signature — and back to PK with the co-signature. Both nodes run in this process, over
 * the project's Kafka-protocol mock broker (and, second, over the HTTP transport), with in-memory exporters.
 */
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { buildExampleCorridor } from '../support/example-corridor';
import { freePort, startKafkaBroker, waitFor, type KafkaBroker } from '../support/infra';
import { startTestNode, type TestNode } from '../support/node-harness';
import { dataDirWithKey, installInMemoryTelemetry, parentOf, pointsOf, type InMemoryTelemetry } from './telemetry-support';

jest.setTimeout(240_000);

const TOPICS = [
  { name: 'corridor.peer.messages', partitions: 1 },
  { name: 'corridor.peer.checkpoints', partitions: 1 },
];
const CORRIDOR = 'org.example.corridor.telemetry';
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

/** PK (sequencer) and AE (co-signer) in this process, the corridor activated on both. */
async function startPair(name: string, env: Record<string, string>): Promise<{ pk: TestNode; ae: TestNode }> {
  const a = dataDirWithKey(`telemetry/${name}/pk`, 'PK');
  const b = dataDirWithKey(`telemetry/${name}/ae`, 'AE');
  const pkPort = await freePort();
  const aePort = await freePort();
  // HTTP catch-up (every node's safety net) is slowed so that it does not race the transport.
  const common = { CORRIDOR_SIGNING_WORKERS: '0', CORRIDOR_PEER_SYNC_INTERVAL_MS: '600000', ...env };
  const [pk, ae] = await Promise.all([
    startTestNode({ dataDir: a.dataDir, jurisdiction: 'PK', env: { ...common, CORRIDOR_HTTP_PORT: String(pkPort), CORRIDOR_PEERS: `${b.key.did}=http://127.0.0.1:${aePort}` } }),
    startTestNode({ dataDir: b.dataDir, jurisdiction: 'AE', env: { ...common, CORRIDOR_HTTP_PORT: String(aePort), CORRIDOR_PEERS: `${a.key.did}=http://127.0.0.1:${pkPort}` } }),
  ]);
  const corridor = buildExampleCorridor({ corridorId: CORRIDOR, zoneKeys: { PK: a.key, AE: b.key }, sequencer: 'PK', issuedAt: '2026-01-01T00:00:00Z' });
  for (const node of [pk, ae]) {
    for (const [path, body] of [
      ['/corridors', corridor.requests.create],
      [`/corridors/${CORRIDOR}/submit`, corridor.requests.submit],
      [`/corridors/${CORRIDOR}/activate`, corridor.requests.activate],
    ] as const) {
      const r = await node.api('POST', path, body);
      if (r.status !== 201) throw new Error(`${path} answered ${r.status}: ${r.text}`);
    }
  }
  await waitFor(async () => (await pk.api('GET', '/peering/status')).body.transport_healthy && (await ae.api('GET', '/peering/status')).body.transport_healthy, {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: 'both transports healthy',
  });
  return { pk, ae };
}

/** Records a transition at PK under the client's trace and waits until AE's co-signature is back at PK. */
async function transitionAndCosignature(telemetry: InMemoryTelemetry, pk: TestNode, n: number): Promise<void> {
  telemetry.spans.reset();
  const r = await pk.api(
    'POST',
    `/corridors/${CORRIDOR}/transitions`,
    { transition: { kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-T-${n}`, amount: '100.00', currency: 'USD' } } },
    { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` },
  );
  expect(r.status).toBe(201);
  await waitFor(async () => (await pk.api('GET', `/corridors/${CORRIDOR}`)).body.peering?.receipt_signed_up_to === n, { timeoutMs: 60_000, intervalMs: 100, what: "AE's co-signature at PK" });
}

const inTrace = (telemetry: InMemoryTelemetry) => telemetry.spans.getFinishedSpans().filter((s) => s.spanContext().traceId === CLIENT_TRACE);

/** The one span of the trace with this name and these attributes. */
function one(spans: ReadableSpan[], name: string, attributes: Record<string, unknown>): ReadableSpan {
  const found = spans.filter((s) => s.name === name && Object.entries(attributes).every(([k, v]) => s.attributes[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} spans ${name} ${JSON.stringify(attributes)} in the trace: ${spans.map((s) => `${s.name} ${JSON.stringify(s.attributes)}`).join('\n')}`);
  return found[0]!;
}

describe('one trace across two nodes over Kafka', () => {
  let telemetry: InMemoryTelemetry;
  let broker: KafkaBroker | undefined;
  let pk: TestNode | undefined;
  let ae: TestNode | undefined;

  beforeAll(async () => {
    telemetry = installInMemoryTelemetry();
    broker = await startKafkaBroker({ topics: TOPICS, maxSeconds: 600 });
    ({ pk, ae } = await startPair('kafka', { CORRIDOR_PEER_TRANSPORT: 'kafka', KAFKA_BROKERS: broker.brokers.join(',') }));
  });

  afterAll(async () => {
    await Promise.allSettled([pk?.close(), ae?.close()]);
    await broker?.stop();
    await telemetry?.shutdown();
  });

  it('follows a transition from the HTTP request on PK to the co-signature from AE and back, in one trace', async () => {
    // The co-signature comes back to PK over Kafka: the receipt is receipt_signed there.
    await transitionAndCosignature(telemetry, pk!, 0);
    const back = await waitFor(() => one(inTrace(telemetry), 'peer.receive', { 'corridor.node.did': pk!.did, 'corridor.peer.message.kind': 'cosignature' }), {
      timeoutMs: 10_000,
      what: "PK's peer.receive of the co-signature",
    });
    const spans = inTrace(telemetry);

    // Node A (PK, the sequencer): the request, the command, the append, the send to Kafka.
    const server = one(spans, `POST /corridors/:id/transitions`, { 'corridor.node.did': pk!.did });
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(parentOf(server)).toBe(CLIENT_SPAN); // the client's traceparent is continued
    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/corridors/:id/transitions', 'http.response.status_code': 201 });
    const command = one(spans, 'corridor.command', { 'corridor.command': 'RecordCorridorTransition' });
    expect(parentOf(command)).toBe(server.spanContext().spanId);
    expect(command.attributes).toMatchObject({ 'corridor.aggregate': 'corridor', 'corridor.aggregate.id': CORRIDOR });
    const appendA = one(spans, 'ledger.append', { 'corridor.append.origin': 'local' });
    expect(parentOf(appendA)).toBe(command.spanContext().spanId);
    expect(appendA.attributes).toMatchObject({ 'corridor.stream': `corridor-${CORRIDOR}`, 'corridor.receipt.sequence': 0, 'corridor.receipt.count': 1 });
    const send = one(spans, 'peer.send', { 'corridor.node.did': pk!.did, 'corridor.peer.message.kind': 'receipt' });
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(parentOf(send)).toBe(command.spanContext().spanId);
    expect(send.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'corridor.peer.messages',
      'messaging.operation.type': 'send',
      'messaging.kafka.message.key': CORRIDOR,
      'corridor.receipt.sequence': 0,
    });

    // Node B (AE, the co-signer): the Kafka record's traceparent continues the trace.
    const receive = one(spans, 'peer.receive', { 'corridor.node.did': ae!.did, 'corridor.peer.message.kind': 'receipt' });
    expect(receive.kind).toBe(SpanKind.CONSUMER);
    expect(parentOf(receive)).toBe(send.spanContext().spanId);
    expect(receive.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.destination.name': 'corridor.peer.messages',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': `corridor-peer.${ae!.did}`,
      'corridor.peer.source': pk!.did,
    });
    const verify = one(spans, 'peer.verify', { 'corridor.peer.message.kind': 'receipt' });
    expect(parentOf(verify)).toBe(receive.spanContext().spanId);
    expect(verify.attributes['corridor.peer.verdict']).toBe('append');
    const appendB = one(spans, 'ledger.append', { 'corridor.append.origin': 'peer' });
    expect(parentOf(appendB)).toBe(receive.spanContext().spanId);
    expect(appendB.attributes).toMatchObject({ 'corridor.stream': `corridor-${CORRIDOR}`, 'corridor.receipt.sequence': 0 });
    const cosign = one(spans, 'peer.cosign', { 'corridor.receipt.sequence': 0 });
    expect(parentOf(cosign)).toBe(receive.spanContext().spanId);
    const sendBack = one(spans, 'peer.send', { 'corridor.node.did': ae!.did, 'corridor.peer.message.kind': 'cosignature' });
    expect(parentOf(sendBack)).toBe(cosign.spanContext().spanId);
    expect(sendBack.attributes['messaging.destination.name']).toBe('corridor.peer.messages');

    // …and back on A: the co-signature is received and verified in the same trace.
    expect(parentOf(back)).toBe(sendBack.spanContext().spanId);
    const verifyBack = one(spans, 'peer.verify', { 'corridor.peer.message.kind': 'cosignature' });
    expect(parentOf(verifyBack)).toBe(back.spanContext().spanId);
    expect(verifyBack.attributes['corridor.peer.verdict']).toBe('ok');

    // The order of events on the path: each hop starts after the one that caused it.
    const start = (s: ReadableSpan) => s.startTime[0] * 1e9 + s.startTime[1];
    for (const [before, after] of [
      [server, command],
      [command, appendA],
      [appendA, send],
      [send, receive],
      [receive, verify],
      [verify, appendB],
      [appendB, cosign],
      [cosign, sendBack],
      [sendBack, back],
    ] as const) {
      expect(start(after)).toBeGreaterThanOrEqual(start(before));
    }
  });

  it('reports the receipts and the peers as caught up', async () => {
    const metrics = await telemetry.metrics.metrics();
    expect(pointsOf(metrics.get('corridor.ledger.receipts'), { 'corridor.append.origin': 'peer', 'corridor.aggregate': 'corridor' })[0]?.value).toBeGreaterThanOrEqual(1);
    const cosignatureLag = pointsOf(metrics.get('corridor.peer.cosignature.lag'), { 'corridor.id': CORRIDOR, 'corridor.peer.did': ae!.did });
    expect(cosignatureLag.map((p) => p.value)).toEqual([0]);
    const sequencerLag = pointsOf(metrics.get('corridor.peer.sequencer.lag'), { 'corridor.id': CORRIDOR, 'corridor.peer.did': pk!.did });
    expect(sequencerLag.map((p) => p.value)).toEqual([0]);
  });
});

describe('one trace across two nodes over HTTP', () => {
  let telemetry: InMemoryTelemetry;
  let pk: TestNode | undefined;
  let ae: TestNode | undefined;

  beforeAll(async () => {
    telemetry = installInMemoryTelemetry();
    ({ pk, ae } = await startPair('http', {}));
  });

  afterAll(async () => {
    await Promise.allSettled([pk?.close(), ae?.close()]);
    await telemetry?.shutdown();
  });

  it("continues the trace through the peer's POST /peering/messages", async () => {
    await transitionAndCosignature(telemetry, pk!, 0);
    const back = await waitFor(() => one(inTrace(telemetry), 'peer.receive', { 'corridor.node.did': pk!.did, 'corridor.peer.message.kind': 'cosignature' }), {
      timeoutMs: 10_000,
      what: "PK's peer.receive of the co-signature",
    });
    const spans = inTrace(telemetry);
    const send = one(spans, 'peer.send', { 'corridor.node.did': pk!.did, 'corridor.peer.message.kind': 'receipt' });
    expect(send.attributes).toMatchObject({ 'corridor.peer.transport': 'http', 'corridor.peer.to': [ae!.did] });
    expect(send.attributes['messaging.system']).toBeUndefined();
    // AE: the push request's span continues A's send (traceparent header); the receive runs inside it.
    const pushOf = (cause: ReadableSpan) => spans.filter((x) => x.name === 'POST /peering/messages' && parentOf(x) === cause.spanContext().spanId);
    const [push] = pushOf(send);
    expect(push).toBeDefined();
    expect(push!.kind).toBe(SpanKind.SERVER);
    expect(push!.attributes).toMatchObject({ 'corridor.node.did': ae!.did, 'http.route': '/peering/messages', 'http.response.status_code': 202 });
    const receive = one(spans, 'peer.receive', { 'corridor.node.did': ae!.did, 'corridor.peer.message.kind': 'receipt' });
    expect(parentOf(receive)).toBe(push!.spanContext().spanId);
    expect(parentOf(one(spans, 'ledger.append', { 'corridor.append.origin': 'peer' }))).toBe(receive.spanContext().spanId);
    const cosign = one(spans, 'peer.cosign', { 'corridor.receipt.sequence': 0 });
    const sendBack = one(spans, 'peer.send', { 'corridor.node.did': ae!.did, 'corridor.peer.message.kind': 'cosignature' });
    expect(parentOf(sendBack)).toBe(cosign.spanContext().spanId);
    // …and PK's push request for the co-signature, with the receive inside it.
    const [pushBack] = pushOf(sendBack);
    expect(pushBack!.attributes['corridor.node.did']).toBe(pk!.did);
    expect(parentOf(back)).toBe(pushBack!.spanContext().spanId);
  });
});
