import { randomUUID } from 'node:crypto';
import { Admin, Kafka, logLevel } from 'kafkajs';
import { decodeCloudEvent, KafkaPeerTransport } from '@corridor/peering';
import type { KafkaPeerTransportOptions, PeerDelivery, PeerMessage, PeerTransportLogger } from '@corridor/peering';
import { KafkaBroker, sleep, startKafkaBroker, waitFor } from '../../support/infra';
import { checkpointMessage, cosignatureMessage, newDid, receiptMessage, sequenceOf } from './peer-messages';

/**
 * The Kafka transport against a real Kafka-protocol broker (the project's librdkafka mock cluster, or KAFKA_BROKERS),
 * through kafkajs over TCP. Each test has its own topics and its own did:keys (so its own consumer groups). Timings
 * follow the mock: the first JoinGroup of a group waits about 3 s, a rejoin about sessionTimeout - 1 s.
 */

const external = Boolean(process.env.KAFKA_BROKERS);
const itMock = external ? it.skip : it;
const run = randomUUID().slice(0, 8);
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

jest.setTimeout(45_000);

let broker: KafkaBroker;
let admin: Admin;
let raw: Kafka;
const cleanup: Array<() => Promise<void>> = [];
let testNo = 0;

beforeAll(async () => {
  broker = await startKafkaBroker({ brokers: 3, maxSeconds: 180 });
  raw = new Kafka({ clientId: 'peering-test-raw', brokers: broker.brokers, logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, retries: 8 } });
  admin = raw.admin();
  await admin.connect();
});

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.stop();
});

function capturingLogger(): PeerTransportLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (m) => lines.push(`log ${m}`), debug: () => undefined, warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`) };
}

/** Fresh topic names for one test. */
function topics(): { receiptsTopic: string; checkpointsTopic: string } {
  testNo++;
  return { receiptsTopic: `peer.messages.${run}.${testNo}`, checkpointsTopic: `peer.checkpoints.${run}.${testNo}` };
}

function transport(selfDid: string, t: { receiptsTopic: string; checkpointsTopic: string }, extra: Partial<KafkaPeerTransportOptions> = {}) {
  const logger = capturingLogger();
  const tr = new KafkaPeerTransport({
    brokers: broker.brokers,
    clientId: `peer-test-${selfDid.slice(-6)}`,
    selfDid,
    ...t,
    logger,
    consumer: { sessionTimeout: 3_000, heartbeatInterval: 300, rebalanceTimeout: 3_000, maxWaitTimeInMs: 100 },
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 10 },
    connectionTimeout: 1_000,
    redelivery: { initialMs: 100, maxMs: 500 },
    restart: { initialMs: 200, maxMs: 2_000 },
    stopGraceMs: 5_000,
    ...extra,
  });
  cleanup.push(() => tr.stop());
  return Object.assign(tr, { logged: logger });
}

interface Got {
  message: PeerMessage;
  delivery: PeerDelivery;
}

function collector() {
  const got: Got[] = [];
  const handler = async (message: PeerMessage, delivery: PeerDelivery) => {
    got.push({ message, delivery });
  };
  return { got, handler };
}

async function committed(groupId: string, topic: string): Promise<Map<number, number>> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map(t.partitions.map((p) => [p.partition, Number(p.offset)]));
}

async function highWatermarks(topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
}

/** The one partition of `topic` holding messages (a corridor's messages all share one). */
async function onlyPartition(topic: string): Promise<{ partition: number; count: number }> {
  const used = [...(await highWatermarks(topic))].filter(([, high]) => high > 0);
  expect(used).toHaveLength(1);
  return { partition: used[0][0], count: used[0][1] };
}

it('two nodes exchange messages both ways on one corridor, in order, each skipping its own, traceparent carried', async () => {
  const t = topics();
  const corridor = `org.example.${run}`;
  const didA = newDid();
  const didB = newDid();
  const a = transport(didA, t);
  const b = transport(didB, t);
  const atA = collector();
  const atB = collector();
  await Promise.all([a.start(atA.handler), b.start(atB.handler)]);
  expect(a.healthy()).toBe(true);
  expect(b.groupId).toBe(`corridor-peer.${didB}`);

  // A (the sequencer) publishes receipts; B answers each with a co-signature, on the same corridor.
  for (let i = 0; i < 10; i++) {
    await a.publish(receiptMessage(corridor, i), { to: [didB], traceparent: TRACEPARENT });
    await b.publish(cosignatureMessage(corridor, i), { to: [didA] });
  }
  await waitFor(() => atA.got.length >= 10 && atB.got.length >= 10, { timeoutMs: 15_000, what: 'both sides to receive 10 messages' });
  await sleep(300); // nothing more arrives (own messages are skipped, nothing is duplicated)

  expect(atB.got.map((g) => [g.message.kind, sequenceOf(g.message)])).toEqual(Array.from({ length: 10 }, (_, i) => ['receipt', i]));
  expect(atA.got.map((g) => [g.message.kind, sequenceOf(g.message)])).toEqual(Array.from({ length: 10 }, (_, i) => ['cosignature', i]));
  for (const g of atB.got) {
    expect(g.delivery).toEqual({ source: didA, traceparent: TRACEPARENT, id: (g.message as Extract<PeerMessage, { kind: 'receipt' }>).receipt.next_root });
  }
  for (const g of atA.got) expect(g.delivery).toMatchObject({ source: didB, traceparent: undefined });
  // One corridor, one partition of the messages topic; nothing on the checkpoints topic.
  expect(await onlyPartition(t.receiptsTopic)).toMatchObject({ count: 20 });
  // Both groups committed everything they read, their own skipped messages included.
  for (const tr of [a, b]) {
    await waitFor(async () => (await committed(tr.groupId, t.receiptsTopic)).get((await onlyPartition(t.receiptsTopic)).partition) === 20, {
      timeoutMs: 5_000,
      what: `${tr.groupId} to commit offset 20`,
    });
  }
});

it('checkpoints go to the checkpoints topic (created compacted where the brokers can), keyed by corridor id, as CloudEvents', async () => {
  const t = topics();
  const didA = newDid();
  const a = transport(didA, t);
  const b = transport(newDid(), t);
  const atB = collector();
  await b.start(atB.handler);
  await a.publish(checkpointMessage('corridor-x', 3), { to: [], traceparent: TRACEPARENT });
  await a.publish(receiptMessage('corridor-x', 3), { to: [] });
  await a.publish(checkpointMessage('corridor-y', 1), { to: [] });
  await a.publish(checkpointMessage('corridor-x', 4), { to: [] });
  await waitFor(() => atB.got.length >= 4, { timeoutMs: 10_000, what: 'B to receive 4 messages' });
  expect(atB.got.map((g) => `${g.message.kind}:${g.message.corridor_id}:${sequenceOf(g.message)}`)).toEqual(
    expect.arrayContaining(['checkpoint:corridor-x:3', 'receipt:corridor-x:3', 'checkpoint:corridor-y:1', 'checkpoint:corridor-x:4']),
  );

  // What the topic setup found: the mock has no CreateTopics/DescribeConfigs; a real Kafka reports compaction.
  // B started first and found both topics missing; A found them.
  if (external) {
    expect(b.topics).toEqual({ created: [t.receiptsTopic, t.checkpointsTopic], createTopicsSupported: true, checkpointsCleanupPolicy: 'compact' });
    expect(a.topics).toEqual({ created: [], checkpointsCleanupPolicy: 'compact' });
  } else {
    expect(b.topics).toEqual({ created: [], createTopicsSupported: false });
    expect(b.logged.lines.some((l) => /no CreateTopics API .* not compacted/.test(l))).toBe(true);
    expect(a.topics).toEqual({ created: [] });
  }

  const sum = (m: Map<number, number>) => [...m.values()].reduce((x, y) => x + y, 0);
  expect(sum(await highWatermarks(t.checkpointsTopic))).toBe(3);
  expect(sum(await highWatermarks(t.receiptsTopic))).toBe(1);

  // The raw records: key = corridor id, CloudEvents content type, traceparent header, structured envelope.
  const rawConsumer = raw.consumer({ groupId: `raw-${run}-${testNo}`, sessionTimeout: 3_000, heartbeatInterval: 300, rebalanceTimeout: 3_000, maxWaitTimeInMs: 100 });
  cleanup.push(() => rawConsumer.disconnect());
  await rawConsumer.connect();
  await rawConsumer.subscribe({ topics: [t.checkpointsTopic], fromBeginning: true });
  const records: Array<{ key: string; partition: number; headers: Record<string, string>; value: string }> = [];
  await rawConsumer.run({
    eachMessage: async ({ partition, message }) => {
      const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
      records.push({ key: message.key!.toString(), partition, headers, value: message.value!.toString() });
    },
  });
  await waitFor(() => records.length >= 3, { timeoutMs: 10_000, what: 'the raw consumer to read 3 checkpoints' });
  expect(records.map((r) => r.key).sort()).toEqual(['corridor-x', 'corridor-x', 'corridor-y']);
  const xs = records.filter((r) => r.key === 'corridor-x');
  expect(xs[0].partition).toBe(xs[1].partition);
  expect(xs.map((r) => sequenceOf(decodeCloudEvent(r.value).data))).toEqual([3, 4]);
  for (const r of records) {
    expect(r.headers['content-type']).toBe('application/cloudevents+json');
    const event = decodeCloudEvent(r.value);
    expect(event).toMatchObject({ specversion: '1.0', source: didA, type: 'dev.corridor-ledger.peer.checkpoint', subject: r.key });
  }
  expect(records.find((r) => sequenceOf(decodeCloudEvent(r.value).data) === 3 && r.key === 'corridor-x')!.headers.traceparent).toBe(TRACEPARENT);
});

it('a failing handler gets the same message again before anything after it; offsets are committed only after the handler resolved; malformed records are skipped', async () => {
  const t = topics();
  const corridor = `c-redeliver-${run}`;
  const publisher = transport(newDid(), t);
  const a = transport(newDid(), t);
  const calls: string[] = [];
  let failedOnce = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  await a.start(async (message) => {
    const seq = sequenceOf(message);
    if (seq === 2 && !failedOnce) {
      failedOnce = true;
      calls.push(`${seq}:fail`);
      throw new Error('the store is busy');
    }
    if (seq === 4) {
      calls.push(`${seq}:waiting`);
      await gate;
    }
    calls.push(`${seq}:ok`);
  });

  // Two records no peer could have written (same key, so the same partition), then six good ones.
  const producer = raw.producer();
  await producer.connect();
  cleanup.push(() => producer.disconnect());
  await producer.send({ topic: t.receiptsTopic, acks: -1, messages: [{ key: corridor, value: '{"not":"a cloudevent"}' }] });
  await producer.send({ topic: t.receiptsTopic, acks: -1, messages: [{ key: corridor, value: '{}', headers: { 'content-type': 'text/plain' } }] });
  for (let i = 0; i < 6; i++) await publisher.publish(cosignatureMessage(corridor, i), { to: [] });
  const { partition } = await onlyPartition(t.receiptsTopic);
  // Offsets: 0, 1 malformed; cosignature i at offset i + 2.

  await waitFor(() => calls.includes('4:waiting'), { timeoutMs: 15_000, what: 'the handler to reach message 4' });
  expect(calls).toEqual(['0:ok', '1:ok', '2:fail', '2:ok', '3:ok', '4:waiting']);
  // Message 4 (offset 6) is in the handler: committed is 6 (the next to read), not 7.
  await waitFor(async () => (await committed(a.groupId, t.receiptsTopic)).get(partition) === 6, { timeoutMs: 5_000, what: 'committed offset 6' });
  await sleep(500);
  expect(calls).toEqual(['0:ok', '1:ok', '2:fail', '2:ok', '3:ok', '4:waiting']); // 5 waits behind 4
  expect((await committed(a.groupId, t.receiptsTopic)).get(partition)).toBe(6);

  release();
  await waitFor(() => calls.includes('5:ok'), { timeoutMs: 10_000, what: 'message 5' });
  await waitFor(async () => (await committed(a.groupId, t.receiptsTopic)).get(partition) === 8, { timeoutMs: 5_000, what: 'committed offset 8' });
  expect(calls).toEqual(['0:ok', '1:ok', '2:fail', '2:ok', '3:ok', '4:waiting', '4:ok', '5:ok']);
  const skipped = a.logged.lines.filter((l) => l.includes('skipping malformed message'));
  expect(skipped).toHaveLength(2);
  expect(skipped[0]).toMatch(/@0: PeerMessageFormatError: specversion must be "1.0", got nothing/);
  expect(skipped[1]).toMatch(/@1: PeerMessageFormatError: content-type header "text\/plain" is not application\/cloudevents\+json/);
  expect(a.logged.lines.some((l) => /handler rejected cosignature [0-9a-f]{64} .*attempt 1\): Error: the store is busy; redelivering in \d+ ms/.test(l))).toBe(true);
});

it('a node restarted with the same group resumes right after the last message its handler finished', async () => {
  const t = topics();
  const corridor = `c-resume-${run}`;
  const publisher = transport(newDid(), t);
  const did = newDid();
  const first = transport(did, t);
  const seen: string[] = [];
  await first.start(async (message) => {
    const seq = sequenceOf(message);
    if (seq >= 3) {
      seen.push(`${seq}:fail`);
      throw new Error('cannot store yet');
    }
    seen.push(`${seq}:ok`);
  });
  for (let i = 0; i < 5; i++) await publisher.publish(receiptMessage(corridor, i), { to: [did] });
  const { partition } = await onlyPartition(t.receiptsTopic);
  await waitFor(() => seen.filter((s) => s === '3:fail').length >= 2, { timeoutMs: 15_000, what: 'message 3 to fail twice' });
  expect(new Set(seen)).toEqual(new Set(['0:ok', '1:ok', '2:ok', '3:fail'])); // 4 never reached
  expect((await committed(first.groupId, t.receiptsTopic)).get(partition)).toBe(3);
  await first.stop();
  expect(first.healthy()).toBe(false);
  await publisher.publish(receiptMessage(corridor, 5), { to: [did] });

  const second = transport(did, t);
  const after = collector();
  await second.start(after.handler);
  await waitFor(() => after.got.length >= 3, { timeoutMs: 15_000, what: 'the restarted node to receive 3 messages' });
  await sleep(300);
  expect(after.got.map((g) => sequenceOf(g.message))).toEqual([3, 4, 5]);
  await waitFor(async () => (await committed(second.groupId, t.receiptsTopic)).get(partition) === 6, { timeoutMs: 5_000, what: 'committed offset 6' });
});

itMock('the broker leading the partition and coordinating the groups goes down and comes back mid-stream: nothing lost or reordered; healthy() follows', async () => {
  const t = topics();
  // Pre-create the messages topic so its leaders can be pinned to broker 1, the one to take down; broker 1 also
  // coordinates both consumer groups, so the outage hits fetches, produces, heartbeats and commits alike.
  await broker.control(`topic ${t.receiptsTopic} 3`);
  for (let p = 0; p < 3; p++) await broker.control(`leader ${t.receiptsTopic} ${p} 1`);
  const corridor = `c-outage-${run}`;
  const didA = newDid();
  const didB = newDid();
  await broker.control(`coordinator group corridor-peer.${didA} 1`);
  await broker.control(`coordinator group corridor-peer.${didB} 1`);
  const a = transport(didA, t);
  const b = transport(didB, t);
  const atA = collector();
  await Promise.all([a.start(atA.handler), b.start(async () => undefined)]);
  expect(a.healthy() && b.healthy()).toBe(true);

  const total = 40;
  let sent = 0;
  const publishing = (async () => {
    for (let i = 0; i < total; i++) {
      await b.publish(receiptMessage(corridor, i), { to: [didA] });
      sent = i + 1;
      await sleep(20);
    }
  })();
  await waitFor(() => atA.got.length >= 10, { timeoutMs: 10_000, what: 'A to receive 10 messages' });
  await broker.control('down 1');
  // Heartbeats fail and publishes wait for the leader: after the session timeout both report unhealthy.
  await waitFor(() => !a.healthy() && !b.healthy(), { timeoutMs: 10_000, what: 'both transports to report unhealthy while broker 1 is down' });
  expect(sent).toBeLessThan(total);
  await broker.control('up 1');
  await publishing;
  await waitFor(() => new Set(atA.got.map((g) => sequenceOf(g.message))).size >= total, { timeoutMs: 20_000, what: `A to receive all ${total} messages` });
  await waitFor(() => a.healthy() && b.healthy(), { timeoutMs: 15_000, what: 'both transports healthy again' });

  // Nothing lost, nothing delivered ahead of its turn. A handled message whose commit the outage swallowed may come
  // once more (at least once), never out of order.
  const seqs = atA.got.map((g) => sequenceOf(g.message));
  expect(seqs.filter((s, i) => seqs.indexOf(s) === i)).toEqual(Array.from({ length: total }, (_, i) => i));
  let highest = -1;
  for (const s of seqs) {
    expect(s).toBeLessThanOrEqual(highest + 1);
    highest = Math.max(highest, s);
  }
  expect(seqs.length - total).toBeLessThanOrEqual(3);
  // The idempotent producer wrote each message once, retries included.
  expect(await onlyPartition(t.receiptsTopic)).toMatchObject({ count: total });
});

itMock('a consumer crash that kafkajs does not restart is restarted by the transport, and delivery carries on', async () => {
  const t = topics();
  const corridor = `c-crash-${run}`;
  const publisher = transport(newDid(), t);
  const did = newDid();
  const a = transport(did, t);
  const atA = collector();
  await a.start(atA.handler);
  await publisher.publish(receiptMessage(corridor, 0), { to: [did] });
  await waitFor(() => atA.got.length === 1, { timeoutMs: 10_000, what: 'the first message' });
  // The next Fetch requests fail with TOPIC_AUTHORIZATION_FAILED (29), which kafkajs does not retry: the consumer
  // crashes without a restart of its own.
  await broker.control('error 1 29 3');
  await publisher.publish(receiptMessage(corridor, 1), { to: [did] });
  await waitFor(() => a.logged.lines.some((l) => /kafkajs will not restart it; restarting it here/.test(l)), { timeoutMs: 10_000, what: 'the crash' });
  await publisher.publish(receiptMessage(corridor, 2), { to: [did] });
  await waitFor(() => atA.got.length >= 3, { timeoutMs: 15_000, what: 'delivery after the restart' });
  await waitFor(() => a.healthy(), { timeoutMs: 5_000, what: 'healthy again' });
  expect(atA.got.map((g) => sequenceOf(g.message))).toEqual([0, 1, 2]);
});

it('batchDelivery: a fetched batch is handed over without waiting for each; offsets pass only resolved messages; a failure redelivers from there', async () => {
  const t = topics();
  const corridor = `c-batch-${run}`;
  const publisher = transport(newDid(), t);
  // Published together: coalesced into few produce requests, still in publish order in the partition.
  await Promise.all([0, 1, 2, 3, 4, 5].map((i) => publisher.publish(cosignatureMessage(corridor, i), { to: [] })));
  const { partition, count } = await onlyPartition(t.receiptsTopic);
  expect(count).toBe(6);

  const a = transport(newDid(), t, { batchDelivery: true });
  const calls: string[] = [];
  let failedOnce = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  await a.start(async (message) => {
    const seq = sequenceOf(message);
    calls.push(`${seq}:in`);
    if (seq === 2 && !failedOnce) {
      failedOnce = true;
      throw new Error('the store is busy');
    }
    if (seq === 4) await gate;
    calls.push(`${seq}:ok`);
  });

  await waitFor(() => calls.includes('5:ok'), { timeoutMs: 15_000, what: 'message 5 handled while 4 still waits' });
  // All six handed over in order, 5 before 4 resolved.
  expect(calls.filter((c) => c.endsWith(':in'))).toEqual(['0:in', '1:in', '2:in', '3:in', '4:in', '5:in']);
  expect(calls).not.toContain('4:ok');
  await sleep(300);
  // Published in one turn, the six went as one record batch, fetched whole: nothing is committed while the batch is
  // unresolved, not even 0 and 1.
  expect((await committed(a.groupId, t.receiptsTopic)).get(partition) ?? -1).toBeLessThan(1);

  release();
  // Offsets moved past 0 and 1; 2 failed, so 2..5 come again, and the partition ends fully committed.
  await waitFor(async () => (await committed(a.groupId, t.receiptsTopic)).get(partition) === 6, { timeoutMs: 15_000, what: 'committed offset 6' });
  const second = calls.slice(calls.lastIndexOf('2:in'));
  expect(second.filter((c) => c.endsWith(':in'))).toEqual(['2:in', '3:in', '4:in', '5:in']);
  expect(second.filter((c) => c.endsWith(':ok')).sort()).toEqual(['2:ok', '3:ok', '4:ok', '5:ok']);
  expect(calls.filter((c) => c === '0:ok')).toHaveLength(1); // before the failure: handled once
  expect(a.logged.lines.some((l) => /handler rejected .*@2 \(attempt 1\): Error: the store is busy; redelivering from there/.test(l))).toBe(true);
});
