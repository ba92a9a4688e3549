import { context, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import type { PeerDelivery, PeerMessage, PeerTransport } from '@corridor/peering';
import { A } from './attributes';
import { contextOfTraceparent, failSpan, inChildSpan, inSpan, inTrace, tracer, traceparentOf } from './tracing';

/**
 * Peering's telemetry (PeeringService): `peer.send` (PRODUCER) whose context travels as the W3C `traceparent` of the
 * transport (Kafka header, HTTP header), `peer.receive` (CONSUMER) continuing the sender's trace, `peer.verify` and
 * `peer.cosign` inside it. Kafka hops carry the messaging semantic conventions.
 */

/** Kafka topics of a transport (KafkaPeerTransport exposes them), by message kind. */
function kafkaTopic(transport: PeerTransport, kind: PeerMessage['kind']): string | undefined {
  const t = transport as Partial<{ receiptsTopic: string; checkpointsTopic: string }>;
  return kind === 'checkpoint' ? t.checkpointsTopic : t.receiptsTopic;
}

function messagingAttributes(transport: PeerTransport, message: PeerMessage, operation: 'send' | 'process'): Attributes {
  if (transport.name !== 'kafka') return {};
  const attributes: Attributes = {
    [A.messagingSystem]: 'kafka',
    [A.messagingOperationType]: operation,
    [A.messagingOperationName]: operation,
    [A.kafkaMessageKey]: message.corridor_id,
  };
  const topic = kafkaTopic(transport, message.kind);
  if (topic) attributes[A.messagingDestination] = topic;
  if (operation === 'process') {
    const group = (transport as Partial<{ groupId: string }>).groupId;
    if (group) attributes[A.messagingConsumerGroup] = group;
  }
  return attributes;
}

function sequenceOf(message: PeerMessage): number | undefined {
  if (message.kind === 'cosignature') return message.sequence;
  if (message.kind === 'receipt' && typeof message.receipt.sequence === 'number') return message.receipt.sequence;
  return undefined;
}

export interface PeerSend {
  /** W3C trace context of the `peer.send` span, for the transport to carry (undefined outside a trace). */
  readonly traceparent: string | undefined;
  /** Ends the span: when the transport took the message, or with the error it refused it with. */
  done(error?: unknown): void;
}

const UNTRACED_SEND: PeerSend = { traceparent: undefined, done: () => undefined };

/**
 * Starts a `peer.send` span for a message handed to the transport, when there is a trace to continue (a request, a
 * command, a received message); background re-sends (catch-up) are not traced.
 */
export function startPeerSend(selfDid: string, transport: PeerTransport, message: PeerMessage, to: readonly string[]): PeerSend {
  const parent = context.active();
  if (!inTrace(parent)) return UNTRACED_SEND;
  const attributes: Attributes = {
    [A.nodeDid]: selfDid,
    [A.corridorId]: message.corridor_id,
    [A.messageKind]: message.kind,
    [A.peerTransport]: transport.name,
    [A.peerTo]: [...to],
    ...messagingAttributes(transport, message, 'send'),
  };
  const seq = sequenceOf(message);
  if (seq !== undefined) attributes[A.sequence] = seq;
  if (message.kind === 'receipt' && typeof message.receipt.next_root === 'string') attributes[A.messagingMessageId] = message.receipt.next_root;
  const span = tracer().startSpan('peer.send', { kind: SpanKind.PRODUCER, attributes }, parent);
  return {
    traceparent: traceparentOf(trace.setSpan(parent, span)),
    done: (error?: unknown) => {
      if (error !== undefined) failSpan(span, error);
      span.end();
    },
  };
}

/**
 * Runs the handling of an inbound message in a `peer.receive` span. Its parent is the active span when there is one
 * (the HTTP transport: the request's server span already continues the sender's trace), else the sender's
 * `traceparent` the transport delivered (Kafka).
 */
export function peerReceiveSpan<T>(selfDid: string, transport: PeerTransport, message: PeerMessage, delivery: PeerDelivery, fn: () => Promise<T>): Promise<T> {
  const active = context.active();
  const parent = inTrace(active) ? active : contextOfTraceparent(delivery.traceparent, active);
  const attributes: Attributes = {
    [A.nodeDid]: selfDid,
    [A.corridorId]: message.corridor_id,
    [A.messageKind]: message.kind,
    [A.peerSource]: delivery.source,
    [A.peerTransport]: transport.name,
    [A.messagingMessageId]: delivery.id,
    ...messagingAttributes(transport, message, 'process'),
  };
  const seq = sequenceOf(message);
  if (seq !== undefined) attributes[A.sequence] = seq;
  return inSpan('peer.receive', { kind: SpanKind.CONSUMER, attributes }, fn, parent);
}

/** A verification's outcome as the inbound checks state it. */
export interface VerifyOutcome {
  verdict?: string;
  reason?: string;
  ok?: boolean;
  detail?: string;
}

/**
 * Runs an inbound check in a `peer.verify` span (within a trace) and records its verdict. A receipt that passed the
 * sequencer's signature check (anything but a refusal) tells how far the sequencer is: see {@link sequencerHeard}.
 */
export function verifySpan<V extends VerifyOutcome>(selfDid: string, what: { corridorId: string; kind: string; sequence?: number }, fn: () => V): V {
  const verdict = inChildSpan('peer.verify', { kind: SpanKind.INTERNAL }, (span) => {
    const v = fn();
    if (span.isRecording()) {
      span.setAttributes({ [A.corridorId]: what.corridorId, [A.messageKind]: what.kind });
      if (what.sequence !== undefined) span.setAttribute(A.sequence, what.sequence);
      const verdict = v.verdict ?? (v.ok === undefined ? undefined : v.ok ? 'ok' : 'reject');
      if (verdict) span.setAttribute(A.verdict, verdict);
      if (v.reason) span.setAttribute(A.reason, v.reason);
    }
    return v;
  });
  if (what.kind === 'receipt' && what.sequence !== undefined && verdict.verdict !== undefined && verdict.verdict !== 'reject') {
    noteSequencerHead(selfDid, what.corridorId, what.sequence);
  }
  return verdict;
}

/** Runs this node's co-signing of a receipt in a `peer.cosign` span (within a trace). */
export function cosignSpan<T>(what: { corridorId: string; sequence: number }, fn: (span: Span) => Promise<T>): Promise<T> {
  return inChildSpan('peer.cosign', { kind: SpanKind.INTERNAL, attributes: { [A.corridorId]: what.corridorId, [A.sequence]: what.sequence } }, fn);
}

/** Highest sequence each node verified from each corridor's sequencer (the co-signer's view of the sequencer's head). */
const heard = new Map<string, Map<string, number>>();

function noteSequencerHead(selfDid: string, corridorId: string, sequence: number): void {
  let byCorridor = heard.get(selfDid);
  if (!byCorridor) heard.set(selfDid, (byCorridor = new Map()));
  if (sequence > (byCorridor.get(corridorId) ?? -1)) byCorridor.set(corridorId, sequence);
}

/** The highest receipt sequence `selfDid` verified from the sequencer of `corridorId` (-1: none yet). */
export function sequencerHeard(selfDid: string, corridorId: string): number {
  return heard.get(selfDid)?.get(corridorId) ?? -1;
}

/** A refused message, on the span handling it (the reason is also counted and logged by the peering service). */
export function noteRefusal(kind: string, reason: string): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.setAttributes({ [A.verdict]: 'reject', [A.reason]: reason });
  span.addEvent('peer.refused', { [A.messageKind]: kind, [A.reason]: reason });
}

/** The active trace context, kept with a message that waits in an inbox. */
export type TraceContext = Context;

export function activeContext(): TraceContext {
  return context.active();
}

/** Runs `fn` in a context captured earlier (a batch's work in the trace of its first message). */
export function inContext<T>(ctx: TraceContext, fn: () => Promise<T>): Promise<T> {
  return context.with(ctx, fn);
}
