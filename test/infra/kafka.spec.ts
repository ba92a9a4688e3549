import { randomUUID } from 'node:crypto';
import { Admin, Consumer, Kafka, logLevel, Partitioners, Producer, RecordMetadata } from 'kafkajs';
import { buildMockBroker, canConnect, KafkaBroker, parseHostPort, processExists, sleep, startKafkaBroker, waitFor } from '../support/infra';

/**
 * The Kafka helper against the project's mock broker (librdkafka's mock cluster) or KAFKA_BROKERS, through a
 * real kafkajs client over TCP. Timings follow the mock: the first JoinGroup of a group waits about 3 s.
 */

const external = Boolean(process.env.KAFKA_BROKERS);
const itMock = external ? it.skip : it;
const run = randomUUID().slice(0, 8);
const EVENTS = `ledger.events.${run}`;
const FAILOVER = `ledger.failover.${run}`;

function client(broker: KafkaBroker, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { initialRetryTime: 50, maxRetryTime: 500, retries: 10 },
  });
}

function idempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
}

async function highWatermarks(admin: Admin, topic: string): Promise<Map<number, number>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, Number(o.high)]));
}

const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

describe('startKafkaBroker: a 3-broker cluster with pre-created topics', () => {
  let broker: KafkaBroker;
  let kafka: Kafka;
  let admin: Admin;
  const cleanup: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    broker = await startKafkaBroker({
      brokers: 3,
      topics: [{ name: EVENTS, partitions: 6 }, { name: FAILOVER, partitions: 6 }],
      maxSeconds: 120,
    });
    kafka = client(broker, 'corridor-infra-test');
    admin = kafka.admin();
    await admin.connect();
  });

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  it('reports loopback brokers, the topics, and a controller', async () => {
    if (!external) {
      expect(broker.brokers).toHaveLength(3);
      for (const address of broker.brokers) {
        const { host, port } = parseHostPort(address);
        expect(host).toBe('127.0.0.1');
        expect(await canConnect(port)).toBe(true);
      }
    }
    const cluster = await admin.describeCluster();
    const ids = cluster.brokers.map((b) => b.nodeId).sort();
    if (!external) expect(ids).toEqual([1, 2, 3]);
    // The mock leaves ControllerId at 0 unless tools/mockbroker.c patches it; kafkajs needs a real broker id.
    expect(ids).toContain(cluster.controller);
    const metadata = await admin.fetchTopicMetadata({ topics: [EVENTS, FAILOVER] });
    for (const topic of metadata.topics) {
      expect(topic.partitions).toHaveLength(6);
      for (const p of topic.partitions) expect(ids).toContain(p.leader);
    }
  });

  it('an idempotent producer writes keyed messages, then a consumer group reads them all and commits', async () => {
    const producer = idempotentProducer(kafka);
    await producer.connect(); // InitProducerId goes to the controller
    cleanup.push(() => producer.disconnect());
    const keys = Array.from({ length: 12 }, (_, i) => `account-${i}`);
    const sent: RecordMetadata[] = [];
    for (let batch = 0; batch < 5; batch++) {
      const result = await producer.send({
        topic: EVENTS,
        acks: -1,
        messages: keys.map((key, i) => ({ key, value: JSON.stringify({ seq: batch * 12 + i, key }) })),
      });
      sent.push(...result);
    }
    for (const r of sent) expect(r.errorCode).toBe(0);
    const high = await highWatermarks(admin, EVENTS);
    expect(sum(high.values())).toBe(60);

    const groupId = `corridor-infra-${run}`;
    const consumer: Consumer = kafka.consumer({
      groupId,
      sessionTimeout: 6000,
      heartbeatInterval: 500,
      rebalanceTimeout: 3000,
      maxWaitTimeInMs: 100,
    });
    cleanup.push(() => consumer.disconnect());
    await consumer.connect();
    await consumer.subscribe({ topic: EVENTS, fromBeginning: true });
    const received: Array<{ key: string; seq: number; partition: number; offset: number }> = [];
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ partition, message }) => {
        const value = JSON.parse(message.value!.toString()) as { seq: number; key: string };
        expect(message.key!.toString()).toBe(value.key);
        received.push({ key: value.key, seq: value.seq, partition, offset: Number(message.offset) });
      },
    });
    await waitFor(() => received.length >= 60, { timeoutMs: 15_000, what: 'the group to receive 60 messages' });

    expect(received.map((m) => m.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Equal keys share a partition, and each partition is read in offset order.
    const partitionOfKey = new Map<string, Set<number>>();
    for (const m of received) partitionOfKey.set(m.key, (partitionOfKey.get(m.key) ?? new Set()).add(m.partition));
    for (const parts of partitionOfKey.values()) expect(parts.size).toBe(1);
    for (const p of high.keys()) {
      const offsets = received.filter((m) => m.partition === p).map((m) => m.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect(offsets.length).toBe(high.get(p));
    }

    // The group's committed offsets reach every partition's high watermark (-1: nothing to commit, empty partition).
    await waitFor(
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [EVENTS] });
        const got = committed.partitions.map((p) => `${p.partition}:${p.offset}/${high.get(p.partition)}`).join(' ');
        const done = committed.partitions.length === high.size &&
          committed.partitions.every((p) => Number(p.offset) === (high.get(p.partition) || -1));
        if (!done) throw new Error(`committed/high: ${got}`);
        return done;
      },
      { timeoutMs: 10_000, what: 'committed offsets to reach the high watermarks' },
    );
  });

  itMock('control() answers commands and rejects unknown ones', async () => {
    expect(await broker.control('ping')).toBe('OK ping');
    expect(await broker.control('rtt 2 0')).toBe('OK rtt 2 0 err=0');
    await expect(broker.control('fly 1')).rejects.toThrow('unknown command: fly 1');
    await expect(broker.control('down 1\nup 1')).rejects.toThrow('one non-empty line');
    // Answers stay matched to their commands when several are in flight.
    const answers = await Promise.all([broker.control('ping'), broker.control('up 2'), broker.control('rtt 3 0')]);
    expect(answers).toEqual(['OK ping', 'OK up 2 err=0', 'OK rtt 3 0 err=0']);
  });

  itMock('control() creates topics and injects protocol errors that a real client sees', async () => {
    const topic = `ledger.inject.${run}`;
    expect(await broker.control(`topic ${topic} 2`)).toBe(`OK topic ${topic} err=0`);
    expect(await broker.control(`coordinator group inject-${run} 2`)).toBe(`OK coordinator group inject-${run} 2 err=0`);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0].partitions).toHaveLength(2);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    // The next Produce request (API key 0) fails with MESSAGE_TOO_LARGE (10), which is not retriable.
    expect(await broker.control('error 0 10 1')).toBe('OK error 0 10 1 err=0');
    await expect(producer.send({ topic, acks: -1, messages: [{ key: 'a', value: 'rejected' }] })).rejects.toThrow(
      /larger than the max message size/,
    );
    await producer.send({ topic, acks: -1, messages: [{ key: 'a', value: 'accepted' }] });
    expect(sum((await highWatermarks(admin, topic)).values())).toBe(1);
  });

  itMock('the idempotent producer carries on when a broker goes down and its partitions move', async () => {
    const producer = idempotentProducer(kafka);
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    const before = await admin.fetchTopicMetadata({ topics: [FAILOVER] });
    const leaders = new Map(before.topics[0].partitions.map((p) => [p.partitionId, p.leader]));
    const send = async (i: number) => {
      const [meta] = await producer.send({ topic: FAILOVER, acks: -1, messages: [{ key: `k${i % 12}`, value: String(i) }] });
      expect(meta.errorCode).toBe(0);
      return meta.partition;
    };

    const total = 120;
    const partitionsBefore: number[] = [];
    for (let i = 0; i < 40; i++) partitionsBefore.push(await send(i));
    // The victim leads a partition the keys really use, so later sends must go through the failover.
    const victim = leaders.get(partitionsBefore[0])!;
    const survivor = [1, 2, 3].find((id) => id !== victim)!;
    const moved = [...leaders].filter(([, leader]) => leader === victim).map(([p]) => p);

    // Mid-stream: take the broker down, let sends hit it, then move its partitions (the mock never elects a new
    // leader by itself). Sends keep going meanwhile.
    let failedOver = false;
    const failover = (async () => {
      await broker.control(`down ${victim}`);
      await sleep(100);
      for (const p of moved) await broker.control(`leader ${FAILOVER} ${p} ${survivor}`);
      failedOver = true;
    })();
    const partitionsAfterFailover = new Set<number>();
    for (let i = 40; i < total; i++) {
      const partition = await send(i);
      if (failedOver) partitionsAfterFailover.add(partition);
    }
    await failover;

    const after = await admin.fetchTopicMetadata({ topics: [FAILOVER] });
    for (const p of after.topics[0].partitions) {
      expect(p.leader).toBe(moved.includes(p.partitionId) ? survivor : leaders.get(p.partitionId));
    }
    // Some sends after the failover went to partitions that had been led by the downed broker.
    expect(moved.some((p) => partitionsAfterFailover.has(p))).toBe(true);

    await broker.control(`up ${victim}`);
    // Nothing lost and nothing written twice (the idempotent producer's retries are de-duplicated).
    expect(sum((await highWatermarks(admin, FAILOVER)).values())).toBe(total);
  });
});

describe('startKafkaBroker stop()', () => {
  if (external) {
    it('leaves KAFKA_BROKERS running and refuses control()', async () => {
      const broker = await startKafkaBroker();
      expect(broker.external).toBe(true);
      await expect(broker.control('down 1')).rejects.toThrow(/KAFKA_BROKERS/);
      await broker.stop();
      const admin = client(broker, 'corridor-infra-stop').admin();
      await admin.connect();
      expect((await admin.describeCluster()).brokers.length).toBeGreaterThan(0);
      await admin.disconnect();
    });
    return;
  }

  it('ends the broker process and closes its ports', async () => {
    const broker = await startKafkaBroker({ brokers: 2, maxSeconds: 60 });
    const pid = broker.pid!;
    const ports = broker.brokers.map((b) => parseHostPort(b).port);
    expect(processExists(pid)).toBe(true);
    for (const port of ports) expect(await canConnect(port)).toBe(true);

    await broker.stop();

    expect(processExists(pid)).toBe(false);
    for (const port of ports) expect(await canConnect(port)).toBe(false);
    await expect(broker.control('ping')).rejects.toThrow(/not running/);
    await broker.stop(); // idempotent
  });

  it('reuses the compiled broker binary', async () => {
    const first = await buildMockBroker();
    const second = await buildMockBroker();
    expect(second).toBe(first);
    expect(first).toMatch(/mockbroker-[0-9a-f]{16}$/);
  });
});
