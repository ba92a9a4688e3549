import { parseJsonText } from '@corridor/protocol';
import type { Ed25519KeyPair, JsonObject, JsonValue } from '@corridor/protocol';
import {
  CLOUDEVENTS_BATCH_CONTENT_TYPE,
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  acceptTraceparent,
  decodeCloudEvent,
  decodeCloudEventBatch,
  isCloudEventsBatchContentType,
  encodePeerEvent,
  isCloudEventsContentType,
  isTraceparent,
  PeerMessageFormatError,
} from './cloud-event';
import { nodeHttpFetch, type PeerFetchInit } from './node-http-fetch';
import type { PeerDirectory, PeerMessage, PeerMessageHandler, PeerTransport } from './peer-message';
import { backoffDelay, checkBackoff, consoleWarningsLogger, errorText, isTimeoutError, signedAuthorization } from './transport-support';
import type { BackoffOptions, PeerTransportLogger } from './transport-support';

/**
 * The embedded default transport (spec/peering-transports.md). Outbound: one in-memory FIFO queue per destination
 * peer, delivered in order by `POST {baseUrl}/peering/messages`: one message as a structured CloudEvent, or — when
 * several wait — up to `maxBatchMessages`/`maxBatchBytes` of them as one batched-mode CloudEvents array (each event
 * carrying its own `traceparent` attribute), acknowledged together; 2xx delivered,
 * 408/429/5xx and network errors retried with exponential backoff (the queue waits, so order holds), any other
 * status is the peer refusing the message for good (logged and dropped). Inbound: the node's HTTP controller hands
 * the request body to {@link HttpPeerTransport.receive}. The queues do not survive a restart; the HTTP catch-up pull
 * ({@link PeerCatchUpClient}) closes any gap.
 */

/** The path a node serves inbound peer messages on. */
export const PEER_MESSAGES_PATH = '/peering/messages';

/** What the transport needs of `fetch` (the global `fetch` is one; the default is {@link nodeHttpFetch}). */
export type FetchLike = (url: string, init: PeerFetchInit) => Promise<Response>;

/** Request headers as node's `IncomingHttpHeaders`, Express or a plain record give them (names in any case). */
export type InboundHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface HttpPeerTransportOptions {
  /** This node's did:key (the `source` of everything it sends). */
  selfDid: string;
  /** did:key → base URL of each peer's HTTP API; read at every delivery attempt, so updates take effect. */
  peers: PeerDirectory;
  /** `fetch` to use (default: the global one). */
  fetchImpl?: FetchLike;
  /** Backoff between delivery attempts to a failing peer (default 250 ms doubling to 30 s). */
  retry?: BackoffOptions;
  /** Abort a delivery attempt after this long and retry it (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** `publish` refuses a message when this many are already waiting for one peer (default 100 000). */
  maxQueuedPerPeer?: number;
  /** At most this many queued messages go in one request (default 256; 1 sends every message on its own). */
  maxBatchMessages?: number;
  /**
   * A batch stops growing before its body would exceed this many bytes (default 192 KiB, under the node's default
   * request body limit of 256 KiB); a single larger message still goes, on its own.
   */
  maxBatchBytes?: number;
  logger?: PeerTransportLogger;
  /** The clock for envelope `time` (default: the system clock). */
  now?: () => Date;
  /**
   * This node's key: every delivery is then signed (`Authorization: CorridorSig …` over method, path and the body as
   * sent), which is how the receiving node authenticates it as a peer (spec/security.md). Its did must be `selfDid`.
   */
  signer?: Ed25519KeyPair;
}

/** What `receive` did with an inbound message. */
export interface PeerReceiveResult {
  /** The CloudEvent id. */
  readonly id: string;
  /** `handled`: the handler resolved. `own`: this node's own message, acknowledged without the handler. */
  readonly outcome: 'handled' | 'own';
}

/** One peer's outbound queue, as {@link HttpPeerTransport.queues} reports it. */
export interface PeerQueueState {
  readonly peer: string;
  /** Messages waiting, the one being delivered included. */
  readonly queued: number;
  /** Failed attempts at the head message so far. */
  readonly attempts: number;
  /** Why the last attempt failed, while the head message is being retried. */
  readonly lastError?: string;
  /** Messages this queue delivered (2xx) and dropped (refused by the peer) since the transport was made. */
  readonly delivered: number;
  readonly rejected: number;
}

interface Outgoing {
  readonly id: string;
  readonly kind: PeerMessage['kind'];
  readonly corridorId: string;
  readonly body: string;
  /** UTF-8 length of `body`. */
  readonly bytes: number;
  readonly traceparent?: string;
}

interface PeerQueue {
  readonly peer: string;
  readonly items: Outgoing[];
  running: boolean;
  /** The most messages a request carries to this peer (lowered when the peer answers 413). */
  batchLimit: number;
  attempts: number;
  lastError?: string;
  delivered: number;
  rejected: number;
}

type Attempt = { outcome: 'delivered' } | { outcome: 'rejected'; reason: string; status: number } | { outcome: 'retry'; reason: string; retryAfterMs?: number };

const DEFAULT_RETRY: BackoffOptions = { initialMs: 250, maxMs: 30_000 };

export class HttpPeerTransport implements PeerTransport {
  readonly name = 'http';
  private readonly selfDid: string;
  private readonly peers: PeerDirectory;
  private readonly fetchImpl: FetchLike;
  private readonly retry: BackoffOptions;
  private readonly requestTimeoutMs: number;
  private readonly maxQueuedPerPeer: number;
  private readonly maxBatchMessages: number;
  private readonly maxBatchBytes: number;
  private readonly logger: PeerTransportLogger;
  private readonly now: () => Date;
  private readonly signer: Ed25519KeyPair | undefined;
  private readonly queueByPeer = new Map<string, PeerQueue>();
  private readonly workers = new Set<Promise<void>>();
  private readonly stopController = new AbortController();
  private readonly idleWaiters: Array<() => void> = [];
  private handler?: PeerMessageHandler;
  private stopped = false;

  constructor(options: HttpPeerTransportOptions) {
    if (typeof options.selfDid !== 'string' || !options.selfDid.startsWith('did:key:')) {
      throw new TypeError(`selfDid must be a did:key, got ${JSON.stringify(options.selfDid)}`);
    }
    this.selfDid = options.selfDid;
    this.peers = options.peers;
    this.fetchImpl = options.fetchImpl ?? nodeHttpFetch();
    this.retry = checkBackoff(options.retry ?? DEFAULT_RETRY, 'HttpPeerTransport retry');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.maxQueuedPerPeer = options.maxQueuedPerPeer ?? 100_000;
    this.maxBatchMessages = positiveInteger(options.maxBatchMessages ?? 256, 'maxBatchMessages');
    this.maxBatchBytes = positiveInteger(options.maxBatchBytes ?? 192 * 1024, 'maxBatchBytes');
    this.logger = options.logger ?? consoleWarningsLogger;
    this.now = options.now ?? (() => new Date());
    if (options.signer !== undefined && options.signer.did !== options.selfDid) {
      throw new TypeError(`signer ${options.signer.did} is not selfDid ${options.selfDid}: a peer is authenticated by the key its messages come from`);
    }
    this.signer = options.signer;
  }

  async start(handler: PeerMessageHandler): Promise<void> {
    if (this.stopped) throw new Error('HttpPeerTransport: start() after stop()');
    if (this.handler) throw new Error('HttpPeerTransport: already started');
    this.handler = handler;
  }

  /**
   * Queues the message for each peer in `to` (this node and repeats are skipped) and resolves once it is queued; the
   * delivery happens in the background, in publish order per peer. Rejects, queuing nothing, on a malformed message
   * or traceparent ({@link PeerMessageFormatError}), a peer missing from the directory, a full queue, or after stop().
   */
  async publish(message: PeerMessage, options: { to: readonly string[]; traceparent?: string }): Promise<void> {
    if (this.stopped) throw new Error('HttpPeerTransport: publish() after stop()');
    if (options.traceparent !== undefined && !isTraceparent(options.traceparent)) {
      throw new PeerMessageFormatError(`traceparent is not a W3C trace context value: ${JSON.stringify(String(options.traceparent).slice(0, 80))}`, 'traceparent');
    }
    const { event, text: body } = encodePeerEvent(message, { source: this.selfDid, time: this.now(), traceparent: options.traceparent });
    const id = event.id;
    const recipients = [...new Set(options.to)].filter((did) => did !== this.selfDid);
    const unknown = recipients.filter((did) => !this.peers.has(did));
    if (unknown.length > 0) throw new Error(`HttpPeerTransport: no base URL for peer ${unknown.join(', ')} in the peer directory`);
    for (const did of recipients) {
      const queue = this.queueByPeer.get(did);
      if (queue && queue.items.length >= this.maxQueuedPerPeer) {
        throw new Error(`HttpPeerTransport: ${queue.items.length} messages already wait for ${did} (the limit); not queued`);
      }
    }
    const item: Outgoing = { id, kind: message.kind, corridorId: message.corridor_id, body, bytes: Buffer.byteLength(body), traceparent: options.traceparent };
    for (const did of recipients) {
      let queue = this.queueByPeer.get(did);
      if (!queue) {
        queue = { peer: did, items: [], running: false, batchLimit: this.maxBatchMessages, attempts: 0, delivered: 0, rejected: 0 };
        this.queueByPeer.set(did, queue);
      }
      queue.items.push(item);
      this.kick(queue);
    }
  }

  /**
   * Inbound: the node's controller for `POST /peering/messages` passes the request body and headers. Decodes the
   * CloudEvent and resolves once the handler resolved (answer 2xx then); a rejecting handler rejects (answer 5xx, the
   * sender retries). Throws {@link PeerMessageFormatError} for a body or `Content-Type` that is not a peer-message
   * CloudEvent (answer 400: it will never be accepted). The sender is authenticated by the node before this (a
   * request signed by a peer's did:key, spec/security.md); the message still verifies on its own.
   */
  async receive(body: string | Uint8Array, headers: InboundHeaders = {}): Promise<PeerReceiveResult> {
    const handler = this.handler;
    if (!handler || this.stopped) throw new Error('HttpPeerTransport: not receiving (start() not called, or stopped)');
    const contentType = header(headers, 'content-type');
    if (contentType !== undefined && isCloudEventsBatchContentType(contentType)) {
      const results = await this.receiveBatch(body, headers);
      return { id: results[0]!.id, outcome: results.every((r) => r.outcome === 'own') ? 'own' : 'handled' };
    }
    if (contentType !== undefined && !isCloudEventsContentType(contentType)) {
      throw new PeerMessageFormatError(`Content-Type must be ${CLOUDEVENTS_JSON_CONTENT_TYPE} (a structured-mode CloudEvent) or ${CLOUDEVENTS_BATCH_CONTENT_TYPE}, got ${JSON.stringify(contentType.slice(0, 100))}`, 'content-type');
    }
    const event = decodeCloudEvent(body);
    if (event.source === this.selfDid) return { id: event.id, outcome: 'own' };
    await handler(event.data, { source: event.source, id: event.id, traceparent: event.traceparent ?? acceptTraceparent(header(headers, 'traceparent')) });
    return { id: event.id, outcome: 'handled' };
  }

  /**
   * Inbound batched-mode body (a JSON array of CloudEvents): every event is checked before any is handled (one bad
   * event refuses the batch); then each is handed to the handler in order — the calls are made one after another
   * without waiting, so the receiver can work through them together — and this resolves once every handler resolved.
   * One handler failing rejects it, and the sender sends the whole batch again: handlers are idempotent.
   */
  async receiveBatch(body: string | Uint8Array, headers: InboundHeaders = {}): Promise<PeerReceiveResult[]> {
    const handler = this.handler;
    if (!handler || this.stopped) throw new Error('HttpPeerTransport: not receiving (start() not called, or stopped)');
    const events = decodeCloudEventBatch(body);
    const fallback = acceptTraceparent(header(headers, 'traceparent'));
    const handled = events.map((event) =>
      event.source === this.selfDid ? undefined : handler(event.data, { source: event.source, id: event.id, traceparent: event.traceparent ?? fallback }),
    );
    const outcomes = await Promise.allSettled(handled.filter((h) => h !== undefined));
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return events.map((event, i) => ({ id: event.id, outcome: handled[i] === undefined ? 'own' : 'handled' }));
  }

  /** True from start() until stop(): HTTP delivery needs no standing connection (failing peers show in queues()). */
  healthy(): boolean {
    return this.handler !== undefined && !this.stopped;
  }

  /** Each peer's outbound queue. */
  queues(): PeerQueueState[] {
    return [...this.queueByPeer.values()].map((q) => ({
      peer: q.peer,
      queued: q.items.length,
      attempts: q.attempts,
      ...(q.lastError !== undefined ? { lastError: q.lastError } : {}),
      delivered: q.delivered,
      rejected: q.rejected,
    }));
  }

  /** Resolves when every queue is empty (or the transport is stopped). */
  idle(): Promise<void> {
    if (this.stopped || [...this.queueByPeer.values()].every((q) => q.items.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops delivering (an attempt in flight is aborted) and receiving. Messages still queued are logged and lost. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.stopController.abort();
    await Promise.allSettled([...this.workers]);
    for (const q of this.queueByPeer.values()) {
      if (q.items.length > 0) this.logger.warn(`peering/http: stopped with ${q.items.length} message(s) undelivered to ${q.peer}; the peer catches up over HTTP`);
    }
    this.notifyIdle();
  }

  private kick(queue: PeerQueue): void {
    if (queue.running || this.stopped) return;
    queue.running = true;
    const worker = this.drain(queue)
      .catch((err) => this.logger.error(`peering/http: delivery to ${queue.peer} stopped unexpectedly: ${errorText(err)}`))
      .finally(() => {
        queue.running = false;
        this.workers.delete(worker);
        // A publish may have raced the end of the loop.
        if (queue.items.length > 0 && !this.stopped) this.kick(queue);
        else this.notifyIdle();
      });
    this.workers.add(worker);
  }

  private async drain(queue: PeerQueue): Promise<void> {
    while (!this.stopped && queue.items.length > 0) {
      const batch = this.nextBatch(queue);
      const attempt = await this.attempt(queue.peer, batch);
      if (this.stopped) return;
      if (attempt.outcome === 'delivered') {
        queue.items.splice(0, batch.length);
        queue.delivered += batch.length;
        queue.attempts = 0;
        queue.lastError = undefined;
        continue;
      }
      if (attempt.outcome === 'rejected' && attempt.status === 413 && batch.length > 1) {
        // Too large for the peer's body limit: the same messages again, in smaller requests.
        queue.batchLimit = Math.max(1, Math.floor(batch.length / 2));
        this.logger.warn(`peering/http: ${queue.peer} found a batch of ${batch.length} too large; sending at most ${queue.batchLimit} per request`);
        continue;
      }
      if (attempt.outcome === 'rejected') {
        queue.items.splice(0, batch.length);
        queue.rejected += batch.length;
        queue.attempts = 0;
        queue.lastError = undefined;
        const what = batch.length === 1 ? `${batch[0]!.kind} ${batch[0]!.id}` : `a batch of ${batch.length} messages (${batch[0]!.kind} ${batch[0]!.id} first)`;
        this.logger.warn(`peering/http: ${queue.peer} refused ${what} of corridor ${batch[0]!.corridorId}: ${attempt.reason}; dropped (it will never be accepted)`);
        continue;
      }
      queue.attempts++;
      queue.lastError = attempt.reason;
      const backoff = backoffDelay(queue.attempts, this.retry);
      const wait = Math.min(this.retry.maxMs, Math.max(backoff, attempt.retryAfterMs ?? 0));
      const log = queue.attempts === 1 || queue.attempts % 10 === 0 ? this.logger.warn : this.logger.debug ?? this.logger.log;
      const item = batch[0]!;
      log.call(this.logger, `peering/http: delivery of ${item.kind} ${item.id}${batch.length > 1 ? ` and ${batch.length - 1} more` : ''} to ${queue.peer} failed (attempt ${queue.attempts}: ${attempt.reason}); retrying in ${wait} ms, ${queue.items.length} queued`);
      await this.sleep(wait);
    }
  }

  /** The messages the next request carries: from the head of the queue, within the count and byte limits. */
  private nextBatch(queue: PeerQueue): Outgoing[] {
    const batch: Outgoing[] = [queue.items[0]!];
    let bytes = queue.items[0]!.bytes + 2;
    for (let i = 1; i < queue.items.length && batch.length < queue.batchLimit; i++) {
      const item = queue.items[i]!;
      if (bytes + item.bytes + 1 > this.maxBatchBytes) break;
      bytes += item.bytes + 1;
      batch.push(item);
    }
    return batch;
  }

  private async attempt(peer: string, batch: readonly Outgoing[]): Promise<Attempt> {
    const base = this.peers.get(peer);
    if (base === undefined) return { outcome: 'retry', reason: 'the peer is no longer in the peer directory' };
    let url: string;
    try {
      url = joinUrl(base, PEER_MESSAGES_PATH);
    } catch (err) {
      return { outcome: 'retry', reason: `bad base URL in the peer directory: ${errorText(err)}` };
    }
    const single = batch.length === 1;
    const body = single ? batch[0]!.body : `[${batch.map((item) => item.body).join(',')}]`;
    const headers: Record<string, string> = { 'content-type': single ? CLOUDEVENTS_JSON_CONTENT_TYPE : CLOUDEVENTS_BATCH_CONTENT_TYPE, accept: 'application/json, application/problem+json' };
    // The request continues the first message's trace; every event of a batch also carries its own traceparent.
    if (batch[0]!.traceparent !== undefined) headers.traceparent = batch[0]!.traceparent;
    if (this.signer !== undefined) headers.authorization = signedAuthorization(this.signer, 'POST', url, body);
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.any([this.stopController.signal, AbortSignal.timeout(this.requestTimeoutMs)]),
      });
    } catch (err) {
      const timedOut = isTimeoutError(err);
      return { outcome: 'retry', reason: timedOut ? `no answer within ${this.requestTimeoutMs} ms` : errorText(err) };
    }
    const status = response.status;
    const text = await response.text().catch(() => '');
    if (status >= 200 && status < 300) return { outcome: 'delivered' };
    const reason = `HTTP ${status}${problemDetail(text)}`;
    if (status === 408 || status === 429 || status >= 500) return { outcome: 'retry', reason, retryAfterMs: retryAfterMs(response.headers.get('retry-after'), this.now()) };
    return { outcome: 'rejected', reason, status };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const onStop = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.stopController.signal.removeEventListener('abort', onStop);
        resolve();
      }, ms);
      this.stopController.signal.addEventListener('abort', onStop, { once: true });
    });
  }

  private notifyIdle(): void {
    if (!this.stopped && [...this.queueByPeer.values()].some((q) => q.items.length > 0)) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`HttpPeerTransport: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function header(headers: InboundHeaders, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return typeof value === 'string' ? value : value.join(', ');
  }
  return undefined;
}

/** `base` (an http(s) URL, with or without a path and trailing slash) followed by `path`. */
export function joinUrl(base: string, path: string): string {
  const url = new URL(base);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${base}`);
  return url.origin + url.pathname.replace(/\/+$/, '') + path;
}

function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** `: <detail>` of an RFC 9457 problem body, or the start of any other body. */
function problemDetail(text: string): string {
  if (!text) return '';
  try {
    const value = parseJsonText(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const detail = (value as JsonObject).detail ?? (value as JsonObject).title;
      if (typeof detail === 'string') return `: ${detail.slice(0, 300)}`;
    }
  } catch {
    // not JSON: show the text
  }
  return `: ${text.slice(0, 200)}`;
}

// ---------------------------------------------------------------------------------------------------------------------

/** A catch-up request that failed: no answer, a non-2xx status, or a body that is not what the endpoint returns. */
export class PeerRequestError extends Error {
  constructor(
    message: string,
    readonly url: string,
    /** The HTTP status, when there was an answer. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'PeerRequestError';
  }
}

export interface PeerCatchUpClientOptions {
  fetchImpl?: FetchLike;
  /** Abort a request after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** This node's key: every request is then signed (`Authorization: CorridorSig …`), as peers require (spec/security.md). */
  signer?: Ed25519KeyPair;
}

/** The largest page `GET /corridors/{id}/receipts` serves (its `limit` maximum). */
export const MAX_RECEIPT_PAGE = 1000;

/**
 * The HTTP catch-up path: reads a peer node's state-channel receipts and checkpoint through its public read API.
 * Responses are parsed with the protocol's parser (exact integers, floats refused). Nothing read is trusted: the
 * caller verifies every receipt and checkpoint as it would one pushed to it.
 */
export class PeerCatchUpClient {
  private readonly fetchImpl: FetchLike;
  private readonly timeoutMs: number;
  private readonly signer: Ed25519KeyPair | undefined;

  constructor(options: PeerCatchUpClientOptions = {}) {
    this.fetchImpl = options.fetchImpl ?? nodeHttpFetch();
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.signer = options.signer;
  }

  /**
   * `GET {baseUrl}/corridors/{id}/receipts?after=SEQ&limit=N`: up to `limit` (1..1000) receipts with a sequence
   * greater than `afterSequence` (-1 for the chain from its start), in sequence order.
   */
  async fetchReceipts(baseUrl: string, corridorId: string, afterSequence: number, limit: number): Promise<JsonObject[]> {
    if (!Number.isSafeInteger(afterSequence) || afterSequence < -1) throw new RangeError(`afterSequence must be an integer >= -1, got ${afterSequence}`);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_RECEIPT_PAGE) throw new RangeError(`limit must be an integer from 1 to ${MAX_RECEIPT_PAGE}, got ${limit}`);
    const url = `${joinUrl(baseUrl, `/corridors/${encodeURIComponent(corridorId)}/receipts`)}?after=${afterSequence}&limit=${limit}`;
    const { body } = await this.get(url, false);
    const receipts = (body as JsonObject).receipts;
    if (!Array.isArray(receipts)) throw new PeerRequestError(`${url}: the answer has no "receipts" array`, url, 200);
    if (receipts.length > limit) throw new PeerRequestError(`${url}: ${receipts.length} receipts for a limit of ${limit}`, url, 200);
    receipts.forEach((r, i) => {
      if (!isObject(r)) throw new PeerRequestError(`${url}: receipts[${i}] is not a JSON object`, url, 200);
    });
    return receipts as JsonObject[];
  }

  /** `GET {baseUrl}/corridors/{id}/checkpoint`: the peer's latest signed checkpoint, or null when it has none (404). */
  async fetchCheckpoint(baseUrl: string, corridorId: string): Promise<JsonObject | null> {
    const url = joinUrl(baseUrl, `/corridors/${encodeURIComponent(corridorId)}/checkpoint`);
    const { body } = await this.get(url, true);
    return body as JsonObject | null;
  }

  private async get(url: string, notFoundIsNull: boolean): Promise<{ body: JsonObject | null }> {
    let response: Response;
    try {
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.signer !== undefined) headers.authorization = signedAuthorization(this.signer, 'GET', url);
      response = await this.fetchImpl(url, { method: 'GET', headers, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const timedOut = isTimeoutError(err);
      throw new PeerRequestError(`${url}: ${timedOut ? `no answer within ${this.timeoutMs} ms` : errorText(err)}`, url);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw new PeerRequestError(`${url}: reading the answer failed: ${errorText(err)}`, url, response.status);
    }
    if (notFoundIsNull && response.status === 404) return { body: null };
    if (response.status !== 200) throw new PeerRequestError(`${url}: HTTP ${response.status}${problemDetail(text)}`, url, response.status);
    let value: JsonValue;
    try {
      value = parseJsonText(text);
    } catch (err) {
      throw new PeerRequestError(`${url}: the answer is not acceptable JSON: ${errorText(err)}`, url, response.status);
    }
    if (!isObject(value)) throw new PeerRequestError(`${url}: the answer is not a JSON object`, url, response.status);
    return { body: value };
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
