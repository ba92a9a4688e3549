import { canonicalize, digestOf, isDigest, parseJsonText, publicKeyFromDidKey, utcSeconds } from '@corridor/protocol';
import type { JsonObject, JsonValue } from '@corridor/protocol';
import { PEER_MESSAGE_KINDS } from './peer-message';
import type { PeerMessage, PeerMessageKind } from './peer-message';

/**
 * Peer messages as CloudEvents 1.0 in the *structured* JSON format (spec/peering-transports.md):
 *
 * ```json
 * {"data":{…the PeerMessage…},"datacontenttype":"application/json","id":"…","source":"did:key:z…",
 *  "specversion":"1.0","subject":"<corridor id>","time":"2026-01-01T00:00:00Z","type":"dev.corridor-ledger.peer.<kind>"}
 * ```
 *
 * Encoding writes canonical JSON. Decoding parses with the protocol's parser (floats refused, big integers exact) and
 * checks every attribute; anything else is a {@link PeerMessageFormatError}. Nothing in the envelope is evidence: the
 * receiver verifies the message itself.
 */

/** The media type of a structured-mode CloudEvent in JSON (HTTP `Content-Type`, Kafka `content-type` header). */
export const CLOUDEVENTS_JSON_CONTENT_TYPE = 'application/cloudevents+json';
/** CloudEvents `type` of a peer message: this prefix and the message's `kind`. */
export const PEER_EVENT_TYPE_PREFIX = 'dev.corridor-ledger.peer.';
/** Decoding refuses envelopes larger than this (UTF-8 bytes, or UTF-16 code units for strings). */
export const MAX_PEER_EVENT_SIZE = 4 * 1024 * 1024;

/** A peer message in its CloudEvents envelope. */
export interface PeerCloudEvent {
  readonly specversion: '1.0';
  /** A receipt's `next_root`; for every other kind the lowercase hex SHA-256 of the message's canonical bytes. */
  readonly id: string;
  /** The sending node's did:key. */
  readonly source: string;
  /** `dev.corridor-ledger.peer.<kind>`. */
  readonly type: string;
  /** The corridor id (equal to `data.corridor_id`). */
  readonly subject: string;
  /** When the envelope was made (RFC 3339); informational only. */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: PeerMessage;
  /**
   * W3C trace context of the send, as the CloudEvents distributed-tracing extension attribute. Carried in the event
   * itself so each event of a batch keeps its own trace; a malformed value is dropped on decoding, never trusted.
   */
  readonly traceparent?: string;
}

/** Anything that is not a well-formed peer-message CloudEvent. It will never become one: drop it, do not retry. */
export class PeerMessageFormatError extends Error {
  constructor(
    message: string,
    /** Where in the envelope the problem is (`data.sequence`, `type`, …), or `''` for the text as a whole. */
    readonly path: string = '',
  ) {
    super(message);
    this.name = 'PeerMessageFormatError';
  }
}

const KIND_SET: ReadonlySet<string> = new Set(PEER_MESSAGE_KINDS);
/** The attributes this format defines; any other top-level member must be a CloudEvents extension attribute. */
const ENVELOPE_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'data']);
/** CloudEvents 1.0: attribute names are lower-case ASCII letters and digits (20 characters or fewer recommended). */
const EXTENSION_NAME = /^[a-z0-9]{1,20}$/;
const DID_KEY = /^did:key:z[1-9A-HJ-NP-Za-km-z]{1,128}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const MAX_CORRIDOR_ID_LENGTH = 256;
/** W3C Trace Context `traceparent` (version 00 layout; other versions are at least as long and start the same way). */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-[0-9a-zA-Z._-]+)?$/;

/** The fields of each kind besides `kind` and `corridor_id`, with their JSON types. */
const KIND_FIELDS: Record<PeerMessageKind, Record<string, 'object' | 'sequence' | 'digest'>> = {
  receipt: { receipt: 'object' },
  proposal: { proposal: 'object' },
  cosignature: { sequence: 'sequence', next_root: 'digest', proof: 'object' },
  checkpoint: { checkpoint: 'object' },
  'fork-alarm': { credential: 'object' },
  'fork-resolution': { credential: 'object' },
};

/** `dev.corridor-ledger.peer.<kind>` */
export function peerEventType(kind: PeerMessageKind): string {
  return PEER_EVENT_TYPE_PREFIX + kind;
}

/** True for a syntactically valid W3C `traceparent` value (transports carry only those). */
export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 512 && TRACEPARENT.test(value);
}

/** True when a `Content-Type` value names structured-mode JSON CloudEvents (parameters such as charset ignored). */
export function isCloudEventsContentType(value: string): boolean {
  return value.split(';')[0].trim().toLowerCase() === CLOUDEVENTS_JSON_CONTENT_TYPE;
}

/** Batched-mode CloudEvents: a JSON array of structured events (CloudEvents JSON format §4). */
export const CLOUDEVENTS_BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';
/** Decoding refuses batches of more events than this. */
export const MAX_PEER_BATCH_EVENTS = 1000;

/** True when a `Content-Type` value names batched-mode JSON CloudEvents. */
export function isCloudEventsBatchContentType(value: string): boolean {
  return value.split(';')[0].trim().toLowerCase() === CLOUDEVENTS_BATCH_CONTENT_TYPE;
}

/**
 * Checks that `value` is a peer message — the right fields for its kind with the right JSON types, nothing more — and
 * returns it as a fresh object holding exactly those fields. Throws {@link PeerMessageFormatError}.
 */
export function validatePeerMessage(value: unknown, path = 'data'): PeerMessage {
  const obj = requireObject(value, path);
  const kind = obj.kind;
  if (typeof kind !== 'string' || !KIND_SET.has(kind)) {
    throw new PeerMessageFormatError(`${path}.kind must be one of ${PEER_MESSAGE_KINDS.join(', ')}, got ${describe(kind)}`, `${path}.kind`);
  }
  const fields = KIND_FIELDS[kind as PeerMessageKind];
  const out: Record<string, unknown> = { kind, corridor_id: requireCorridorId(obj.corridor_id, `${path}.corridor_id`) };
  for (const [name, type] of Object.entries(fields)) {
    const at = `${path}.${name}`;
    const v = obj[name];
    if (v === undefined) throw new PeerMessageFormatError(`${at} is required for a ${kind} message`, at);
    if (type === 'object') out[name] = requireObject(v, at);
    else if (type === 'digest') out[name] = requireDigest(v, at);
    else out[name] = requireSequence(v, at);
  }
  for (const name of Object.keys(obj)) {
    if (name !== 'kind' && name !== 'corridor_id' && !Object.hasOwn(fields, name)) {
      throw new PeerMessageFormatError(`${path}.${name} is not a field of a ${kind} message`, `${path}.${name}`);
    }
  }
  if (kind === 'receipt') requireDigest((out.receipt as JsonObject).next_root, `${path}.receipt.next_root`);
  return out as unknown as PeerMessage;
}

/** The CloudEvent id of a message: a receipt's `next_root`, else `sha256(canonical(message))`. Validates first. */
export function peerMessageId(message: PeerMessage): string {
  return idOf(validatePeerMessage(message));
}

function idOf(message: PeerMessage): string {
  if (message.kind === 'receipt') return message.receipt.next_root as string;
  try {
    return digestOf(message);
  } catch (err) {
    throw new PeerMessageFormatError(`data cannot be canonicalized: ${(err as Error).message}`, 'data');
  }
}

export interface CloudEventOptions {
  /** The sending node's did:key. */
  source: string;
  /** The envelope's `time` (default: now, to the second). */
  time?: Date | string;
  /** W3C trace context to carry as the `traceparent` extension attribute. */
  traceparent?: string;
}

/** Wraps a message in its CloudEvent. Throws {@link PeerMessageFormatError} when the message or the source is malformed. */
export function toCloudEvent(message: PeerMessage, options: CloudEventOptions): PeerCloudEvent {
  const data = validatePeerMessage(message);
  const source = requireSource(options.source, 'source');
  const time = options.time === undefined ? utcSeconds(new Date()) : typeof options.time === 'string' ? options.time : utcSeconds(options.time);
  requireTime(time, 'time');
  if (options.traceparent !== undefined && !isTraceparent(options.traceparent)) {
    throw new PeerMessageFormatError(`traceparent is not a W3C trace context value: ${JSON.stringify(String(options.traceparent).slice(0, 80))}`, 'traceparent');
  }
  return {
    specversion: '1.0',
    id: idOf(data),
    source,
    type: peerEventType(data.kind),
    subject: data.corridor_id,
    time,
    datacontenttype: 'application/json',
    data,
    ...(options.traceparent !== undefined ? { traceparent: options.traceparent } : {}),
  };
}

/** The CloudEvent of a message as canonical JSON text (the bytes sent on every transport). */
export function encodeCloudEvent(message: PeerMessage, options: CloudEventOptions): string {
  return encodePeerEvent(message, options).text;
}

/** The CloudEvent of a message and its canonical JSON text. */
export function encodePeerEvent(message: PeerMessage, options: CloudEventOptions): { event: PeerCloudEvent; text: string } {
  const event = toCloudEvent(message, options);
  try {
    return { event, text: canonicalize(event) };
  } catch (err) {
    throw new PeerMessageFormatError(`data cannot be canonicalized: ${(err as Error).message}`, 'data');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Parses and checks a structured-mode CloudEvent carrying a peer message. Accepts text or UTF-8 bytes. Extension
 * attributes (lower-case alphanumeric names, string/integer/boolean values) are allowed and dropped. Throws
 * {@link PeerMessageFormatError} for anything else, and nothing but that.
 */
export function decodeCloudEvent(input: string | Uint8Array): PeerCloudEvent {
  return checkEnvelope(parseEnvelopeText(input, 'envelope'));
}

/** A batched-mode body (text or UTF-8 bytes), parsed and checked as {@link checkCloudEventBatch} does. */
export function decodeCloudEventBatch(input: string | Uint8Array): PeerCloudEvent[] {
  return checkCloudEventBatch(parseEnvelopeText(input, 'batch'));
}

function parseEnvelopeText(input: string | Uint8Array, what: 'envelope' | 'batch'): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.length > MAX_PEER_EVENT_SIZE) throw new PeerMessageFormatError(`the ${what} is larger than ${MAX_PEER_EVENT_SIZE} bytes`);
    try {
      text = utf8.decode(input);
    } catch {
      throw new PeerMessageFormatError(`the ${what} is not valid UTF-8`);
    }
  } else {
    throw new PeerMessageFormatError(`the ${what} must be text, got ${describe(input)}`);
  }
  if (text.length > MAX_PEER_EVENT_SIZE) throw new PeerMessageFormatError(`the ${what} is larger than ${MAX_PEER_EVENT_SIZE} characters`);
  try {
    return parseJsonText(text);
  } catch (err) {
    throw new PeerMessageFormatError(`the ${what} is not acceptable JSON: ${(err as Error).message}`);
  }
}

/** Checks an already parsed structured-mode CloudEvent as {@link decodeCloudEvent} does (a node's request body). */
export function checkCloudEvent(parsed: JsonValue): PeerCloudEvent {
  return checkEnvelope(parsed);
}

/**
 * Checks a batched-mode CloudEvents value (already parsed JSON: an array of 1..{@link MAX_PEER_BATCH_EVENTS}
 * structured events), each as {@link decodeCloudEvent} does. All or nothing: one bad event refuses the batch, naming
 * its index. Throws {@link PeerMessageFormatError}.
 */
export function checkCloudEventBatch(parsed: JsonValue): PeerCloudEvent[] {
  if (!Array.isArray(parsed)) throw new PeerMessageFormatError(`a batch must be a JSON array of CloudEvents, got ${describe(parsed)}`);
  if (parsed.length === 0) throw new PeerMessageFormatError('a batch must hold at least one event');
  if (parsed.length > MAX_PEER_BATCH_EVENTS) throw new PeerMessageFormatError(`a batch may hold at most ${MAX_PEER_BATCH_EVENTS} events, got ${parsed.length}`);
  return parsed.map((event, i) => {
    try {
      return checkEnvelope(event);
    } catch (err) {
      if (err instanceof PeerMessageFormatError) throw new PeerMessageFormatError(`event [${i}]: ${err.message}`, err.path === '' ? `[${i}]` : `[${i}].${err.path}`);
      throw err;
    }
  });
}

function checkEnvelope(parsed: JsonValue): PeerCloudEvent {
  const env = requireObject(parsed, 'envelope');
  if (env.specversion !== '1.0') {
    throw new PeerMessageFormatError(`specversion must be "1.0", got ${describe(env.specversion)}`, 'specversion');
  }
  for (const [name, value] of Object.entries(env)) {
    if (ENVELOPE_ATTRIBUTES.has(name)) continue;
    if (!EXTENSION_NAME.test(name)) {
      throw new PeerMessageFormatError(`${JSON.stringify(name.slice(0, 40))} is neither an attribute of this format nor a valid CloudEvents extension name`, name);
    }
    const ok = typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isSafeInteger(value));
    if (!ok) throw new PeerMessageFormatError(`extension attribute ${name} must be a string, an integer or a boolean, got ${describe(value)}`, name);
  }
  const id = requireString(env.id, 'id');
  const source = requireSource(env.source, 'source');
  const type = requireString(env.type, 'type');
  const subject = requireString(env.subject, 'subject');
  const time = requireTime(env.time, 'time');
  if (env.datacontenttype !== 'application/json') {
    throw new PeerMessageFormatError(`datacontenttype must be "application/json", got ${describe(env.datacontenttype)}`, 'datacontenttype');
  }
  if (env.data === undefined) throw new PeerMessageFormatError('data is required (data_base64 is not accepted)', 'data');
  const data = validatePeerMessage(env.data, 'data');
  if (type !== peerEventType(data.kind)) {
    throw new PeerMessageFormatError(`type ${describe(type)} does not match data.kind ${JSON.stringify(data.kind)} (expected ${JSON.stringify(peerEventType(data.kind))})`, 'type');
  }
  if (subject !== data.corridor_id) {
    throw new PeerMessageFormatError(`subject ${describe(subject)} is not data.corridor_id ${JSON.stringify(data.corridor_id)}`, 'subject');
  }
  const expected = idOf(data);
  if (id !== expected) {
    const rule = data.kind === 'receipt' ? "the receipt's next_root" : 'the SHA-256 of the canonical message';
    throw new PeerMessageFormatError(`id ${describe(id)} is not ${rule} (${expected})`, 'id');
  }
  const traceparent = acceptTraceparent(env.traceparent);
  return { specversion: '1.0', id, source, type, subject, time, datacontenttype: 'application/json', data, ...(traceparent !== undefined ? { traceparent } : {}) };
}

function requireObject(value: unknown, path: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PeerMessageFormatError(`${path} must be a JSON object, got ${describe(value)}`, path === 'envelope' ? '' : path);
  }
  return value as JsonObject;
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new PeerMessageFormatError(`${path} must be a non-empty string, got ${describe(value)}`, path);
  }
  return value;
}

function requireCorridorId(value: unknown, path: string): string {
  const s = requireString(value, path);
  // eslint-disable-next-line no-control-regex
  if (s.length > MAX_CORRIDOR_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(s) || !s.isWellFormed()) {
    throw new PeerMessageFormatError(`${path} must be at most ${MAX_CORRIDOR_ID_LENGTH} characters without control characters, got ${describe(s)}`, path);
  }
  return s;
}

function requireSource(value: unknown, path: string): string {
  const s = requireString(value, path);
  let ok = DID_KEY.test(s);
  if (ok) {
    try {
      publicKeyFromDidKey(s);
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new PeerMessageFormatError(`${path} must be the sender's Ed25519 did:key (no fragment), got ${describe(s)}`, path);
  return s;
}

function requireTime(value: unknown, path: string): string {
  const s = requireString(value, path);
  if (!RFC3339.test(s) || Number.isNaN(Date.parse(s))) {
    throw new PeerMessageFormatError(`${path} must be an RFC 3339 timestamp, got ${describe(s)}`, path);
  }
  return s;
}

function requireDigest(value: unknown, path: string): string {
  if (!isDigest(value)) throw new PeerMessageFormatError(`${path} must be 64 lowercase hex digits, got ${describe(value)}`, path);
  return value;
}

function requireSequence(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new PeerMessageFormatError(`${path} must be a non-negative safe integer, got ${describe(value)}`, path);
  }
  return value;
}

/** A short description of an offending value for error messages (never the whole value). */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 80 ? `${value.slice(0, 80)}…` : value;
      return JSON.stringify(shown.isWellFormed() ? shown : shown.toWellFormed());
    }
    case 'bigint':
      return `the integer ${value.toString().slice(0, 40)} (beyond 2^53)`;
    case 'number':
      return Number.isInteger(value) ? `the number ${value}` : `the number ${String(value)}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** For transports: the `traceparent` to hand on, or undefined when the value is missing or malformed. */
export function acceptTraceparent(value: unknown): string | undefined {
  return isTraceparent(value) ? value : undefined;
}
