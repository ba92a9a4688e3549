import { utcSeconds } from '@corridor/protocol';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { Admin, Consumer, EachBatchPayload, EachMessagePayload, IHeaders, LogEntry, Message, Producer, RetryOptions } from 'kafkajs';
import {
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  acceptTraceparent,
  decodeCloudEvent,
  encodePeerEvent,
  isCloudEventsContentType,
  isTraceparent,
  PeerMessageFormatError,
} from './cloud-event';
import type { PeerCloudEvent } from './cloud-event';
import type { PeerMessage, PeerMessageHandler, PeerTransport } from './peer-message';
import { backoffDelay, checkBackoff, consoleWarningsLogger, errorText } from './transport-support';
import type { BackoffOptions, PeerTransportLogger } from './transport-support';

/**
 * The scaled-deployment transport: peer messages as structured CloudEvents on Kafka (spec/peering-transports.md).
 *
 * - Topic `corridor.peer.messages` carries receipts, proposals, co-signatures and fork credentials; topic
 *   `corridor.peer.checkpoints` (created compacted) carries checkpoints. Both are keyed by corridor id, so one
 *   corridor's messages stay in one partition, in publish order.
 * - Each node reads with its own consumer group (default: derived from its did:key), so every node sees every message;
 *   its own messages (envelope `source` = its did) are skipped.
 * - Offsets are committed by this class, explicitly, one message at a time, and only after the handler's promise
 *   resolved (kafkajs `autoCommit` is off). A rejecting handler pauses the partition and seeks back to the failed
 *   offset, which is fetched and handed to the handler again after a backoff; nothing behind it in the partition is
 *   delivered first. An envelope that does not decode is logged and committed past: it can never become valid.
 * - With `batchDelivery`, the messages of one fetched batch are handed to the handler in order without waiting for
 *   each (so the receiver can work through them together); offsets move past each message only once it and every
 *   message before it resolved, and a rejection seeks back to the first failed message — messages after it in that
 *   batch may then be handled twice (at least once; handlers are idempotent).
 * - Publishes are coalesced: what is published while a send is in flight goes in the next send, as one request.
 * - Delivery is at least once (a crash between the handler and the commit redelivers); handlers are idempotent.
 * - Offsets are delivery bookkeeping only, never evidence: the MMR leaf index is the sequence.
 */

export const DEFAULT_PEER_MESSAGES_TOPIC = 'corridor.peer.messages';
export const DEFAULT_PEER_CHECKPOINTS_TOPIC = 'corridor.peer.checkpoints';

export interface KafkaPeerTransportOptions {
  brokers: string[];
  clientId: string;
  /** This node's did:key: the `source` of what it publishes, and whose messages it skips. */
  selfDid: string;
  /** Consumer group (default `corridor-peer.<selfDid>`): one group per node, so each node reads everything. */
  groupId?: string;
  /** Topic of receipts, proposals, co-signatures and fork credentials (default `corridor.peer.messages`). */
  receiptsTopic?: string;
  /** Compacted topic of checkpoints, the latest per corridor (default `corridor.peer.checkpoints`). */
  checkpointsTopic?: string;
  logger?: PeerTransportLogger;
  /**
   * Missing topics are created through the admin API (checkpoints with `cleanup.policy=compact`); `false` never
   * creates (the topics must exist, or the brokers auto-create them). Defaults: the brokers' partition count and
   * replication factor.
   */
  topicCreation?: false | { numPartitions?: number; replicationFactor?: number };
  /** A group without committed offsets starts at the beginning of the topics (default true). */
  fromBeginning?: boolean;
  /** Consumer-group timings (kafkajs names and defaults: sessionTimeout 30 000, heartbeatInterval 3 000, …). */
  consumer?: {
    sessionTimeout?: number;
    heartbeatInterval?: number;
    rebalanceTimeout?: number;
    maxWaitTimeInMs?: number;
    /** Partitions handled at the same time (each partition stays sequential); default 1. */
    partitionsConsumedConcurrently?: number;
  };
  /** kafkajs request retries (connection, metadata, fetch, commit). The producer always retries without limit. */
  retry?: Pick<RetryOptions, 'initialRetryTime' | 'maxRetryTime' | 'retries'>;
  connectionTimeout?: number;
  requestTimeout?: number;
  /** Backoff before a message whose handler rejected is delivered again (default 200 ms doubling to 10 s). */
  redelivery?: BackoffOptions;
  /** Backoff between restarts of a consumer that crashed and that kafkajs does not restart (default 1 s to 30 s). */
  restart?: BackoffOptions;
  /** How long stop() waits for a handler still running (default 10 000 ms). */
  stopGraceMs?: number;
  /**
   * Hand the messages of a fetched batch to the handler without waiting for each (see the class comment). Default
   * false: one message at a time.
   */
  batchDelivery?: boolean;
  /** kafkajs's own log level, into `logger` (default warn). */
  kafkaLogLevel?: 'nothing' | 'error' | 'warn' | 'info' | 'debug';
  /** The clock for envelope `time` (default: the system clock). */
  now?: () => Date;
}

/** What start() found out about the topics. */
export interface KafkaTopicSetup {
  /** Topics this transport created. */
  readonly created: readonly string[];
  /**
   * False when topics were missing and the brokers have no CreateTopics API (the librdkafka mock): the topics are then
   * auto-created, uncompacted. Undefined when nothing had to be created.
   */
  readonly createTopicsSupported?: boolean;
  /** `cleanup.policy` of the checkpoints topic as the brokers report it; undefined when they cannot say (the mock). */
  readonly checkpointsCleanupPolicy?: string;
}

const DEFAULT_REDELIVERY: BackoffOptions = { initialMs: 200, maxMs: 10_000 };
const DEFAULT_RESTART: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };
const NOT_SUPPORTED = 'KafkaJSServerDoesNotSupportApiKey';
const LOG_LEVELS = { nothing: logLevel.NOTHING, error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG } as const;

export class KafkaPeerTransport implements PeerTransport {
  readonly name = 'kafka';
  readonly groupId: string;
  readonly receiptsTopic: string;
  readonly checkpointsTopic: string;
  private readonly selfDid: string;
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private readonly logger: PeerTransportLogger;
  private readonly redelivery: BackoffOptions;
  private readonly restartBackoff: BackoffOptions;
  private readonly sessionTimeout: number;
  private readonly heartbeatInterval: number;
  private readonly now: () => Date;

  private handler?: PeerMessageHandler;
  private consumer?: Consumer;
  private setupDone?: Promise<KafkaTopicSetup>;
  private producerReady?: Promise<void>;
  private topicSetup?: KafkaTopicSetup;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;
  private restartAttempts = 0;
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  /** Consecutive handler failures per `topic:partition`. */
  private readonly failures = new Map<string, number>();
  /** Handled offsets whose commit failed, per `topic\0partition`: retried with the next commit and at stop(). */
  private readonly pendingCommits = new Map<string, { topic: string; partition: number; offset: string }>();
  /** The background commit loop, while one runs. */
  private committing: Promise<void> | undefined;
  private consumerJoined = false;
  private lastContact = 0;
  private readonly publishesInFlight = new Map<number, number>();
  /** Publishes waiting for the next send (coalesced while one is in flight). */
  private outbox: Array<{ topic: string; message: Message; resolve: () => void; reject: (e: unknown) => void }> = [];
  private flushing = false;
  private publishCounter = 0;
  private lastPublishFailed = false;

  constructor(private readonly options: KafkaPeerTransportOptions) {
    if (!Array.isArray(options.brokers) || options.brokers.length === 0) throw new TypeError('KafkaPeerTransport: brokers must list at least one host:port');
    if (typeof options.selfDid !== 'string' || !options.selfDid.startsWith('did:key:')) {
      throw new TypeError(`KafkaPeerTransport: selfDid must be a did:key, got ${JSON.stringify(options.selfDid)}`);
    }
    this.selfDid = options.selfDid;
    this.groupId = options.groupId ?? `corridor-peer.${options.selfDid}`;
    this.receiptsTopic = options.receiptsTopic ?? DEFAULT_PEER_MESSAGES_TOPIC;
    this.checkpointsTopic = options.checkpointsTopic ?? DEFAULT_PEER_CHECKPOINTS_TOPIC;
    if (this.receiptsTopic === this.checkpointsTopic) throw new TypeError('KafkaPeerTransport: the receipts and checkpoints topics must differ');
    this.logger = options.logger ?? consoleWarningsLogger;
    this.redelivery = checkBackoff(options.redelivery ?? DEFAULT_REDELIVERY, 'KafkaPeerTransport redelivery');
    this.restartBackoff = checkBackoff(options.restart ?? DEFAULT_RESTART, 'KafkaPeerTransport restart');
    this.sessionTimeout = options.consumer?.sessionTimeout ?? 30_000;
    this.heartbeatInterval = options.consumer?.heartbeatInterval ?? 3_000;
    this.now = options.now ?? (() => new Date());
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeout,
      requestTimeout: options.requestTimeout,
      retry: options.retry,
      logLevel: LOG_LEVELS[options.kafkaLogLevel ?? 'warn'],
      logCreator: () => (entry: LogEntry) => this.kafkaLog(entry),
    });
    // Idempotent (the mock broker supports InitProducerId once tools/mockbroker.c fixes its ControllerId): a retried
    // send is written once. maxInFlightRequests 1 keeps publish order across retries. acks -1 on every send.
    // Retries are unlimited (the kafkajs default for idempotent producers): publish waits out a broker outage.
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: true,
      createPartitioner: Partitioners.DefaultPartitioner, // murmur2, the Java client's: same key, same partition
      retry: { ...options.retry, retries: Number.MAX_SAFE_INTEGER },
    });
  }

  /** What start() found out about the topics (undefined before). */
  get topics(): KafkaTopicSetup | undefined {
    return this.topicSetup;
  }

  /**
   * Creates missing topics, connects the producer and runs this node's consumer group on both topics. Resolves once
   * the consumer has joined its group (or failed to, and is being restarted in the background). Rejects when the
   * brokers cannot be reached at all (start() may then be called again).
   */
  async start(handler: PeerMessageHandler): Promise<void> {
    if (this.stopping) throw new Error('KafkaPeerTransport: start() after stop()');
    if (this.handler) throw new Error('KafkaPeerTransport: already started');
    this.handler = handler;
    try {
      await this.ensureProducer();
      await this.runConsumer();
    } catch (err) {
      this.handler = undefined;
      const consumer = this.consumer;
      this.consumer = undefined;
      await consumer?.disconnect().catch(() => undefined);
      throw err;
    }
  }

  /**
   * Publishes the message to its topic, keyed by corridor id, and resolves once the brokers acknowledged it (acks -1,
   * all in-sync replicas). `to` is not used: every node of the cluster reads the topic and keeps what concerns it.
   * During a broker outage the promise waits (the idempotent producer retries without limit). Rejects with
   * {@link PeerMessageFormatError} for a malformed message or traceparent.
   */
  async publish(message: PeerMessage, options: { to: readonly string[]; traceparent?: string }): Promise<void> {
    if (this.stopping) throw new Error('KafkaPeerTransport: publish() after stop()');
    if (options.traceparent !== undefined && !isTraceparent(options.traceparent)) {
      throw new PeerMessageFormatError(`traceparent is not a W3C trace context value: ${JSON.stringify(String(options.traceparent).slice(0, 80))}`, 'traceparent');
    }
    const { event, text } = encodePeerEvent(message, { source: this.selfDid, time: utcSeconds(this.now()) });
    const topic = message.kind === 'checkpoint' ? this.checkpointsTopic : this.receiptsTopic;
    const headers: IHeaders = { 'content-type': CLOUDEVENTS_JSON_CONTENT_TYPE };
    if (options.traceparent !== undefined) headers.traceparent = options.traceparent;
    try {
      await new Promise<void>((resolve, reject) => {
        this.outbox.push({ topic, message: { key: event.subject, value: text, headers }, resolve, reject });
        void this.flush();
      });
    } catch (err) {
      throw new Error(`KafkaPeerTransport: publishing ${message.kind} ${event.id} of corridor ${event.subject} to ${topic} failed: ${errorText(err)}`, { cause: err });
    }
  }

  /**
   * Sends everything in the outbox as one request (per topic, in publish order), then again while more arrived. One
   * send at a time, as the idempotent producer's single in-flight request wants: order holds across retries.
   */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      await Promise.resolve(); // publishes made in the same turn (a batch of co-signatures) go in this first send too
      while (this.outbox.length > 0) {
        const batch = this.outbox.splice(0, 1000);
        const byTopic = new Map<string, Message[]>();
        for (const item of batch) {
          const list = byTopic.get(item.topic) ?? [];
          list.push(item.message);
          byTopic.set(item.topic, list);
        }
        const token = ++this.publishCounter;
        this.publishesInFlight.set(token, Date.now());
        try {
          await this.ensureProducer();
          const meta = await this.producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
          const failed = meta.find((m) => m.errorCode !== 0);
          if (failed) throw new Error(`the broker answered error code ${failed.errorCode}`);
          this.lastPublishFailed = false;
          for (const item of batch) item.resolve();
        } catch (err) {
          this.lastPublishFailed = true;
          for (const item of batch) item.reject(err);
        } finally {
          this.publishesInFlight.delete(token);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * True when the consumer is in its group and heard from its coordinator within the session timeout, the last
   * publish did not fail, and no publish has waited longer than the session timeout.
   */
  healthy(): boolean {
    if (!this.handler || this.stopping || !this.consumer || !this.consumerJoined) return false;
    const now = Date.now();
    const stale = Math.max(this.sessionTimeout, 3 * this.heartbeatInterval);
    if (now - this.lastContact > stale) return false;
    if (this.lastPublishFailed) return false;
    for (const startedAt of this.publishesInFlight.values()) if (now - startedAt > stale) return false;
    return true;
  }

  /** Leaves the group (after a running handler finished, up to `stopGraceMs`) and disconnects. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.restartTimer);
    for (const t of this.resumeTimers) clearTimeout(t);
    this.resumeTimers.clear();
    const grace = this.options.stopGraceMs ?? 10_000;
    const consumer = this.consumer;
    this.consumer = undefined;
    this.consumerJoined = false;
    if (consumer) {
      await this.committing; // a background commit in flight lands first: offsets only move forward
      await this.commitPending(consumer);
      await settleWithin(consumer.disconnect(), grace, () =>
        this.logger.warn(`peering/kafka: the consumer did not stop within ${grace} ms (a handler still running?); leaving it`),
      );
    }
    await settleWithin(this.producer.disconnect(), grace, () => this.logger.warn(`peering/kafka: the producer did not disconnect within ${grace} ms`));
  }

  // -- setup ----------------------------------------------------------------------------------------------------------

  private ensureProducer(): Promise<void> {
    this.producerReady ??= (async () => {
      await this.ensureTopics();
      await this.producer.connect();
    })().catch((err) => {
      this.producerReady = undefined;
      throw err;
    });
    return this.producerReady;
  }

  private ensureTopics(): Promise<KafkaTopicSetup> {
    this.setupDone ??= this.setupTopics().then(
      (setup) => (this.topicSetup = setup),
      (err) => {
        this.setupDone = undefined;
        throw err;
      },
    );
    return this.setupDone;
  }

  private async setupTopics(): Promise<KafkaTopicSetup> {
    const creation = this.options.topicCreation;
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = creation === false ? [] : [this.receiptsTopic, this.checkpointsTopic].filter((t) => !existing.has(t));
      let created: string[] = [];
      let createTopicsSupported: boolean | undefined;
      if (missing.length > 0) {
        try {
          const made = await admin.createTopics({
            waitForLeaders: true,
            topics: missing.map((topic) => ({
              topic,
              numPartitions: (creation || undefined)?.numPartitions ?? -1,
              replicationFactor: (creation || undefined)?.replicationFactor ?? -1,
              configEntries: topic === this.checkpointsTopic ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
            })),
          });
          createTopicsSupported = true;
          if (made) {
            created = missing;
            this.logger.log(`peering/kafka: created ${missing.join(', ')}${missing.includes(this.checkpointsTopic) ? ` (${this.checkpointsTopic} compacted)` : ''}`);
          }
        } catch (err) {
          if ((err as Error).name === NOT_SUPPORTED) {
            createTopicsSupported = false;
            this.logger.warn(
              `peering/kafka: the brokers have no CreateTopics API (the test mock broker); ${missing.join(', ')} will be auto-created ` +
                'with broker defaults, and the checkpoints topic is not compacted',
            );
          } else {
            this.logger.warn(`peering/kafka: creating ${missing.join(', ')} failed (${errorText(err)}); relying on the brokers to auto-create them`);
          }
        }
      }
      const policy = await this.cleanupPolicy(admin);
      if (policy !== undefined && policy.split(',').every((p) => p.trim() !== 'compact')) {
        this.logger.warn(`peering/kafka: ${this.checkpointsTopic} has cleanup.policy=${policy}, not compact: old checkpoints are not compacted away`);
      }
      return {
        created,
        ...(createTopicsSupported !== undefined ? { createTopicsSupported } : {}),
        ...(policy !== undefined ? { checkpointsCleanupPolicy: policy } : {}),
      };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** The checkpoints topic's cleanup.policy, or undefined when the brokers cannot describe configs (the mock). */
  private async cleanupPolicy(admin: Admin): Promise<string | undefined> {
    try {
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2 /* TOPIC */, name: this.checkpointsTopic, configNames: ['cleanup.policy'] }],
      });
      return resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy')?.configValue ?? undefined;
    } catch (err) {
      this.logger.debug?.(`peering/kafka: cannot read the configuration of ${this.checkpointsTopic}: ${errorText(err)}`);
      return undefined;
    }
  }

  // -- consumer -------------------------------------------------------------------------------------------------------

  private async runConsumer(): Promise<void> {
    await this.ensureTopics();
    const c = this.options.consumer ?? {};
    const consumer = this.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: this.sessionTimeout,
      heartbeatInterval: this.heartbeatInterval,
      rebalanceTimeout: c.rebalanceTimeout,
      maxWaitTimeInMs: c.maxWaitTimeInMs,
      allowAutoTopicCreation: true,
      retry: { ...this.options.retry },
    });
    this.consumer = consumer;
    this.consumerJoined = false;
    const { GROUP_JOIN, HEARTBEAT, COMMIT_OFFSETS, CRASH } = consumer.events;
    consumer.on(GROUP_JOIN, () => {
      if (this.consumer !== consumer) return;
      this.consumerJoined = true;
      this.lastContact = Date.now();
    });
    consumer.on(HEARTBEAT, () => {
      if (this.consumer === consumer) this.lastContact = Date.now();
    });
    consumer.on(COMMIT_OFFSETS, () => {
      if (this.consumer === consumer) this.lastContact = Date.now();
    });
    consumer.on(CRASH, ({ payload }) => {
      if (this.consumer !== consumer) return;
      this.consumerJoined = false;
      if (this.stopping) return;
      if (payload.restart) {
        this.logger.warn(`peering/kafka: consumer crashed (${errorText(payload.error)}); kafkajs restarts it`);
      } else {
        this.logger.error(`peering/kafka: consumer crashed (${errorText(payload.error)}) and kafkajs will not restart it; restarting it here`);
        this.scheduleRestart(consumer);
      }
    });
    const abandoned = async (): Promise<boolean> => {
      if (!this.stopping && this.consumer === consumer) return false;
      await consumer.disconnect().catch(() => undefined); // stop() came while this consumer was starting
      return true;
    };
    await consumer.connect();
    if (await abandoned()) return;
    await consumer.subscribe({ topics: [this.receiptsTopic, this.checkpointsTopic], fromBeginning: this.options.fromBeginning ?? true });
    if (await abandoned()) return;
    // autoCommit off: the only commits are the explicit ones in onMessage, each after the handler resolved.
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: c.partitionsConsumedConcurrently ?? 1,
      ...(this.options.batchDelivery
        ? { eachBatchAutoResolve: false, eachBatch: (payload: EachBatchPayload) => this.onBatch(consumer, payload) }
        : { eachMessage: (payload: EachMessagePayload) => this.onMessage(consumer, payload) }),
    });
    await abandoned();
  }

  private scheduleRestart(crashed: Consumer): void {
    if (this.stopping || this.restartTimer) return;
    this.restartAttempts++;
    const delay = backoffDelay(this.restartAttempts, this.restartBackoff);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      void (async () => {
        await crashed.disconnect().catch(() => undefined);
        try {
          await this.runConsumer();
          this.restartAttempts = 0;
        } catch (err) {
          this.logger.error(`peering/kafka: restarting the consumer failed: ${errorText(err)}`);
          if (this.consumer) this.scheduleRestart(this.consumer);
        }
      })();
    }, delay);
  }

  private async onMessage(consumer: Consumer, { topic, partition, message }: EachMessagePayload): Promise<void> {
    // Returning without a commit leaves the message to whoever reads the partition next.
    if (this.stopping || this.consumer !== consumer || !this.handler) return;
    const next = (BigInt(message.offset) + 1n).toString();
    const where = `${topic}[${partition}]@${message.offset}`;
    const event = this.deliverable(message, where);
    if (event) {
      try {
        await this.handler(event.data, { source: event.source, id: event.id, traceparent: acceptTraceparent(headerText(message.headers?.traceparent)) });
      } catch (err) {
        this.handlerFailed(consumer, topic, partition, message.offset, err, (attempt, delay) => `${event.data.kind} ${event.id} (${where}, attempt ${attempt}): ${errorText(err)}; redelivering in ${delay} ms`);
        return;
      }
      this.failures.delete(`${topic}\0${partition}`);
    }
    await this.commit(consumer, topic, partition, next);
  }

  /**
   * The peer message a record carries, or undefined when there is nothing to hand over: a tombstone (it deletes a key
   * of the compacted checkpoints topic), this node's own message, or a record that does not decode (logged; it can
   * never become valid).
   */
  private deliverable(message: EachMessagePayload['message'], where: string): PeerCloudEvent | undefined {
    if (message.value === null) return undefined;
    let event: PeerCloudEvent;
    try {
      const contentType = headerText(message.headers?.['content-type']);
      if (contentType !== undefined && !isCloudEventsContentType(contentType)) {
        throw new PeerMessageFormatError(`content-type header ${JSON.stringify(contentType.slice(0, 100))} is not ${CLOUDEVENTS_JSON_CONTENT_TYPE}`, 'content-type');
      }
      event = decodeCloudEvent(message.value);
    } catch (err) {
      this.logger.warn(`peering/kafka: skipping malformed message ${where}: ${errorText(err)}`);
      return undefined;
    }
    return event.source === this.selfDid ? undefined : event;
  }

  /**
   * A handler rejected the record at `offset`: counted per partition (the backoff grows with consecutive failures),
   * logged at the first and every tenth attempt, and delivered again from there after the backoff.
   */
  private handlerFailed(consumer: Consumer, topic: string, partition: number, offset: string, err: unknown, describe: (attempt: number, delay: number) => string): void {
    const key = `${topic}\0${partition}`;
    const attempts = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, attempts);
    const delay = backoffDelay(attempts, this.redelivery);
    (attempts === 1 || attempts % 10 === 0 ? this.logger.warn : this.logger.debug ?? this.logger.log).call(this.logger, `peering/kafka: handler rejected ${describe(attempts, delay)}`);
    this.redeliverLater(consumer, topic, partition, offset, delay);
  }

  /**
   * `batchDelivery`: every message of the fetched batch is handed over in order, without waiting; then the offsets of
   * the leading run of resolved messages are resolved and committed, and a rejection seeks back to the first failure.
   */
  private async onBatch(consumer: Consumer, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const handler = this.handler;
    if (this.stopping || this.consumer !== consumer || !handler) return;
    const { topic, partition } = batch;
    const handed: Array<{ offset: string; what: string; done: Promise<void> }> = [];
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      const where = `${topic}[${partition}]@${message.offset}`;
      handed.push({ offset: message.offset, what: where, done: this.handOver(handler, message, where) });
    }
    const outcomes = await Promise.allSettled(handed.map((h) => h.done));
    const failedAt = outcomes.findIndex((o) => o.status === 'rejected');
    const upTo = failedAt === -1 ? handed.length : failedAt;
    if (this.consumer !== consumer) return;
    if (upTo > 0) {
      const last = handed[upTo - 1]!.offset;
      resolveOffset(last);
      await this.commit(consumer, topic, partition, (BigInt(last) + 1n).toString());
    }
    if (failedAt !== -1) {
      const { offset, what } = handed[failedAt]!;
      const err = (outcomes[failedAt] as PromiseRejectedResult).reason;
      this.handlerFailed(consumer, topic, partition, offset, err, (attempt, delay) => `${what} (attempt ${attempt}): ${errorText(err)}; redelivering from there in ${delay} ms`);
      return;
    }
    this.failures.delete(`${topic}\0${partition}`);
    await heartbeat().catch(() => undefined);
  }

  /** One message of a batch handed to the handler; resolves at once when there is nothing to hand over. */
  private handOver(handler: PeerMessageHandler, message: EachMessagePayload['message'], where: string): Promise<void> {
    const event = this.deliverable(message, where);
    if (!event) return Promise.resolve();
    try {
      return handler(event.data, { source: event.source, id: event.id, traceparent: acceptTraceparent(headerText(message.headers?.traceparent)) });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Pauses the partition and seeks back to `offset`: kafkajs stops handing out this partition's messages at once, and
   * after `delay` fetches again from `offset` (with autoCommit off, a seek commits nothing).
   */
  private redeliverLater(consumer: Consumer, topic: string, partition: number, offset: string, delay: number): void {
    consumer.pause([{ topic, partitions: [partition] }]);
    consumer.seek({ topic, partition, offset });
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      if (!this.stopping && this.consumer === consumer) consumer.resume([{ topic, partitions: [partition] }]);
    }, delay);
    this.resumeTimers.add(timer);
  }

  /**
   * Records `offset` (the next one to read) as handled and commits it in the background: one commit in flight at a
   * time, each carrying the latest handled offset of every partition. Only handled messages are ever committed (at
   * least once, as before), but the consumer no longer waits a broker round trip per message; `stop()` commits
   * what is pending.
   */
  private async commit(consumer: Consumer, topic: string, partition: number, offset: string): Promise<void> {
    this.pendingCommits.set(`${topic}\0${partition}`, { topic, partition, offset });
    if (this.committing) return;
    this.committing = (async () => {
      try {
        while (this.pendingCommits.size > 0 && this.consumer === consumer) await this.commitPending(consumer);
      } finally {
        this.committing = undefined;
      }
    })();
  }

  private async commitPending(consumer: Consumer): Promise<void> {
    if (this.pendingCommits.size === 0) return;
    const offsets = [...this.pendingCommits.values()];
    try {
      await consumer.commitOffsets(offsets);
      for (const o of offsets) {
        const k = `${o.topic}\0${o.partition}`;
        if (this.pendingCommits.get(k) === o) this.pendingCommits.delete(k);
      }
    } catch (err) {
      // The messages were handled; if no later commit succeeds they are delivered again (at least once).
      this.logger.warn(`peering/kafka: committing offsets failed (${errorText(err)}); retried with the next commit`);
    }
  }

  private kafkaLog({ namespace, level, log }: LogEntry): void {
    const { message, timestamp: _t, logger: _l, stack: _s, ...extra } = log as LogEntry['log'] & { logger?: unknown; stack?: unknown };
    const fields = Object.keys(extra).length > 0 ? ` ${safeJson(extra)}` : '';
    const text = `kafkajs ${namespace}: ${message}${fields}`;
    if (level === logLevel.ERROR) this.logger.error(text);
    else if (level === logLevel.WARN) this.logger.warn(text);
    else if (level === logLevel.INFO) this.logger.log(text);
    else this.logger.debug?.(text);
  }
}

function headerText(value: Buffer | string | (Buffer | string)[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

function safeJson(value: unknown): string {
  try {
    const s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    return s.length > 500 ? `${s.slice(0, 500)}…` : s;
  } catch {
    return '';
  }
}

/** Waits for `promise` to settle, at most `ms`; calls `onTimeout` if it did not. Never rejects. */
async function settleWithin(promise: Promise<unknown>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const outcome = await Promise.race([promise.then(() => 'done', () => 'done'), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') onTimeout();
}
