import fc from 'fast-check';
import { canonicalize, digestOf, parseJsonText } from '@corridor/protocol';
import type { JsonObject, JsonValue } from '@corridor/protocol';
import {
  decodeCloudEventBatch,
  isCloudEventsBatchContentType,
  CLOUDEVENTS_JSON_CONTENT_TYPE,
  decodeCloudEvent,
  encodeCloudEvent,
  isCloudEventsContentType,
  PeerMessageFormatError,
  peerMessageId,
  toCloudEvent,
} from '@corridor/peering';
import type { PeerMessage } from '@corridor/peering';
import { cosignatureMessage, didArb, hex64, jsonValueArb, newDid, peerMessageArb, receiptMessage, timeArb } from './peer-messages';

/**
 * The CloudEvents envelope of peer messages: the exact format, the strict decoder's refusals, and two properties —
 * every message survives encode → decode, and no text whatsoever makes decode throw anything but
 * PeerMessageFormatError.
 */

const SOURCE = newDid();
const TIME = '2026-03-01T12:00:00Z';

function expectFormatError(fn: () => unknown, message: RegExp | string, path?: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(PeerMessageFormatError);
  expect((thrown as Error).message).toMatch(message);
  if (path !== undefined) expect((thrown as PeerMessageFormatError).path).toBe(path);
}

/** A valid envelope as a mutable object. */
function envelope(message: PeerMessage = cosignatureMessage('org.example.pk-ae', 7)): Record<string, JsonValue> {
  return parseJsonText(encodeCloudEvent(message, { source: SOURCE, time: TIME })) as Record<string, JsonValue>;
}

const text = (value: unknown): string => canonicalize(value);

describe('the envelope', () => {
  it('is a structured CloudEvent in canonical JSON, id = next_root for a receipt', () => {
    const message = receiptMessage('org.example.pk-ae', 3);
    const encoded = encodeCloudEvent(message, { source: SOURCE, time: TIME });
    expect(encoded).toBe(canonicalize(parseJsonText(encoded)));
    expect(parseJsonText(encoded)).toEqual({
      specversion: '1.0',
      id: (message as { receipt: JsonObject }).receipt.next_root,
      source: SOURCE,
      type: 'dev.corridor-ledger.peer.receipt',
      subject: 'org.example.pk-ae',
      time: TIME,
      datacontenttype: 'application/json',
      data: message,
    });
  });

  it('id = SHA-256 of the canonical message for every other kind', () => {
    const message = cosignatureMessage('c-1', 0);
    const event = toCloudEvent(message, { source: SOURCE, time: TIME });
    expect(event.id).toBe(digestOf(message));
    expect(event.id).toMatch(/^[0-9a-f]{64}$/);
    expect(peerMessageId(message)).toBe(event.id);
    expect(event.type).toBe('dev.corridor-ledger.peer.cosignature');
  });

  it('time defaults to now, to the second', () => {
    const event = toCloudEvent(cosignatureMessage('c-1', 0), { source: SOURCE });
    expect(event.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(Math.abs(Date.parse(event.time) - Date.now())).toBeLessThan(5_000);
  });

  it('content types', () => {
    expect(CLOUDEVENTS_JSON_CONTENT_TYPE).toBe('application/cloudevents+json');
    expect(isCloudEventsContentType('application/cloudevents+json; charset=UTF-8')).toBe(true);
    expect(isCloudEventsContentType('Application/CloudEvents+JSON')).toBe(true);
    expect(isCloudEventsContentType('application/json')).toBe(false);
  });

  it('decodes bytes as well as text; extension attributes are allowed, and only a well-formed traceparent is kept', () => {
    const env: Record<string, JsonValue> = { ...envelope(), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', partitionkey: 'x', n: 3, flag: true };
    const event = decodeCloudEvent(Buffer.from(text(env)));
    expect(event.data).toEqual(env.data);
    expect(Object.keys(event).sort()).toEqual(['data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'traceparent', 'type']);
    expect(event.traceparent).toBe(env.traceparent);
    const garbled = decodeCloudEvent(text({ ...envelope(), traceparent: 'not-a-trace' }));
    expect(Object.keys(garbled)).not.toContain('traceparent');
  });

  it('a batch is an array of 1..1000 valid events, refused whole with the index of a bad one', () => {
    const one = envelope();
    expect(decodeCloudEventBatch(`[${text(one)},${text(one)}]`).map((e) => e.id)).toEqual([one.id, one.id]);
    expect(isCloudEventsBatchContentType('application/cloudevents-batch+json; charset=utf-8')).toBe(true);
    expect(isCloudEventsBatchContentType('application/cloudevents+json')).toBe(false);
    expect(() => decodeCloudEventBatch('[]')).toThrow(/at least one event/);
    expect(() => decodeCloudEventBatch(text(one))).toThrow(/must be a JSON array/);
    expect(() => decodeCloudEventBatch(`[${text(one)},{"specversion":"0.3"}]`)).toThrow(/^event \[1\]: specversion must be "1.0"/);
    expect(() => decodeCloudEventBatch(`[${Array(1001).fill(text(one)).join(',')}]`)).toThrow(/at most 1000 events/);
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 5 }), (values) => {
        // Random JSON in a batch: refused with a PeerMessageFormatError, never anything else.
        try {
          decodeCloudEventBatch(JSON.stringify(values));
          return false;
        } catch (e) {
          return e instanceof PeerMessageFormatError;
        }
      }),
    );
  });
});

describe('the decoder refuses, with a precise PeerMessageFormatError', () => {
  const cases: Array<[string, (e: Record<string, JsonValue>) => unknown, RegExp, string]> = [
    ['a wrong specversion', (e) => ({ ...e, specversion: '0.3' }), /specversion must be "1.0", got "0.3"/, 'specversion'],
    ['a type that is not data.kind', (e) => ({ ...e, type: 'dev.corridor-ledger.peer.receipt' }), /type "dev.corridor-ledger.peer.receipt" does not match data.kind "cosignature"/, 'type'],
    ['an unknown kind', (e) => ({ ...e, data: { ...(e.data as JsonObject), kind: 'gossip' } }), /data.kind must be one of receipt, proposal, cosignature, checkpoint, fork-alarm, fork-resolution, got "gossip"/, 'data.kind'],
    ['a subject that is not data.corridor_id', (e) => ({ ...e, subject: 'other' }), /subject "other" is not data.corridor_id "org.example.pk-ae"/, 'subject'],
    ['a negative sequence', (e) => ({ ...e, data: { ...(e.data as JsonObject), sequence: -1 } }), /data.sequence must be a non-negative safe integer, got the number -1/, 'data.sequence'],
    ['a sequence beyond 2^53', (e) => ({ ...e, data: { ...(e.data as JsonObject), sequence: 2n ** 60n } }), /data.sequence must be a non-negative safe integer, got the integer 1152921504606846976/, 'data.sequence'],
    ['a string sequence', (e) => ({ ...e, data: { ...(e.data as JsonObject), sequence: '7' } }), /data.sequence must be a non-negative safe integer, got "7"/, 'data.sequence'],
    ['an upper-case next_root', (e) => ({ ...e, data: { ...(e.data as JsonObject), next_root: hex64().toUpperCase() } }), /data.next_root must be 64 lowercase hex digits/, 'data.next_root'],
    ['a proof that is not an object', (e) => ({ ...e, data: { ...(e.data as JsonObject), proof: [] } }), /data.proof must be a JSON object, got an array/, 'data.proof'],
    ['a missing field', (e) => ({ ...e, data: { kind: 'cosignature', corridor_id: 'org.example.pk-ae', sequence: 1, next_root: hex64() } }), /data.proof is required for a cosignature message/, 'data.proof'],
    ['an extra data field', (e) => ({ ...e, data: { ...(e.data as JsonObject), toString: 1 } }), /data.toString is not a field of a cosignature message/, 'data.toString'],
    ['an id that is not the digest', (e) => ({ ...e, id: hex64() }), /id "[0-9a-f]{64}" is not the SHA-256 of the canonical message \([0-9a-f]{64}\)/, 'id'],
    ['a source that is not a did:key', (e) => ({ ...e, source: 'https://node.example' }), /source must be the sender's Ed25519 did:key \(no fragment\), got "https:\/\/node.example"/, 'source'],
    ['a source with a fragment', (e) => ({ ...e, source: `${SOURCE}#key-1` }), /source must be the sender's Ed25519 did:key/, 'source'],
    ['a bad time', (e) => ({ ...e, time: 'yesterday' }), /time must be an RFC 3339 timestamp, got "yesterday"/, 'time'],
    ['another datacontenttype', (e) => ({ ...e, datacontenttype: 'text/plain' }), /datacontenttype must be "application\/json", got "text\/plain"/, 'datacontenttype'],
    ['data_base64 instead of data', (e) => ({ ...e, data: undefined, data_base64: 'e30=' }), /"data_base64" is neither an attribute of this format nor a valid CloudEvents extension name/, 'data_base64'],
    ['an extension with an object value', (e) => ({ ...e, extra: {} }), /extension attribute extra must be a string, an integer or a boolean, got an object/, 'extra'],
    ['an empty corridor id', (e) => ({ ...e, data: { ...(e.data as JsonObject), corridor_id: '' } }), /data.corridor_id must be a non-empty string, got ""/, 'data.corridor_id'],
    ['an array', () => [], /envelope must be a JSON object, got an array/, ''],
  ];
  it.each(cases)('%s', (_name, mutate, message, path) => {
    expectFormatError(() => decodeCloudEvent(text(mutate(envelope()))), message, path);
  });

  it('a receipt without a next_root, or whose id is not its next_root', () => {
    const env = envelope(receiptMessage('c', 1));
    const data = env.data as { receipt: JsonObject };
    expectFormatError(() => decodeCloudEvent(text({ ...env, data: { ...data, receipt: { ...data.receipt, next_root: undefined } } })), /data.receipt.next_root must be 64 lowercase hex digits, got nothing/, 'data.receipt.next_root');
    expectFormatError(() => decodeCloudEvent(text({ ...env, id: digestOf(env.data) })), /is not the receipt's next_root/, 'id');
  });

  it('floats, bad JSON, bad UTF-8, and oversized input', () => {
    const good = encodeCloudEvent(cosignatureMessage('c', 1), { source: SOURCE, time: TIME });
    expectFormatError(() => decodeCloudEvent(good.replace('"sequence":1', '"sequence":1.0')), /not acceptable JSON: Floats are not allowed/);
    expectFormatError(() => decodeCloudEvent(good.slice(0, -1)), /not acceptable JSON/);
    expectFormatError(() => decodeCloudEvent(Buffer.from([0x7b, 0xff, 0x7d])), /not valid UTF-8/);
    expectFormatError(() => decodeCloudEvent('x'.repeat(4 * 1024 * 1024 + 1)), /larger than/);
    expectFormatError(() => decodeCloudEvent(42 as unknown as string), /must be text, got the number 42/);
  });

  it('encoding refuses what decoding would refuse', () => {
    expectFormatError(() => encodeCloudEvent({ ...cosignatureMessage('c', 1), sequence: 1.5 } as PeerMessage, { source: SOURCE }), /data.sequence must be a non-negative safe integer, got the number 1.5/);
    expectFormatError(() => encodeCloudEvent({ kind: 'proposal', corridor_id: 'c', proposal: { amount: 1.5 } }, { source: SOURCE }), /cannot be canonicalized: Floats are not allowed/);
    expectFormatError(() => encodeCloudEvent(cosignatureMessage('c', 1), { source: 'did:web:example.org' }), /source must be the sender's Ed25519 did:key/);
  });
});

describe('properties', () => {
  it('encode → decode gives back every message exactly (big integers, odd keys and strings included)', () => {
    fc.assert(
      fc.property(peerMessageArb, didArb, timeArb, (message, source, time) => {
        const encoded = encodeCloudEvent(message, { source, time });
        const event = decodeCloudEvent(encoded);
        expect(event.data).toEqual(message);
        expect(canonicalize(event.data)).toBe(canonicalize(message));
        expect(event.source).toBe(source);
        expect(event.time).toBe(time);
        expect(event.subject).toBe(message.corridor_id);
        expect(event.type).toBe(`dev.corridor-ledger.peer.${message.kind}`);
        expect(event.id).toBe(peerMessageId(message));
        // The bytes are canonical: decoding and encoding again changes nothing.
        expect(encodeCloudEvent(event.data, { source, time })).toBe(encoded);
        expect(decodeCloudEvent(Buffer.from(encoded, 'utf8')).id).toBe(event.id);
      }),
      { numRuns: 300 },
    );
  });

  /** Decodes, and checks that anything thrown is a PeerMessageFormatError and anything accepted is consistent. */
  function decodeOrFormatError(input: string | Uint8Array): void {
    let event;
    try {
      event = decodeCloudEvent(input);
    } catch (err) {
      if (!(err instanceof PeerMessageFormatError)) throw new Error(`decode threw ${String(err)} (${(err as Error)?.name}), not PeerMessageFormatError`);
      expect(err.message.length).toBeGreaterThan(0);
      return;
    }
    expect(event.id).toBe(peerMessageId(event.data));
    expect(event.subject).toBe(event.data.corridor_id);
  }

  const lone = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('set' as const), path: fc.array(fc.constantFrom('data', 'id', 'source', 'type', 'subject', 'time', 'specversion', 'datacontenttype', 'kind', 'sequence', 'next_root', 'proof', 'receipt', 'corridor_id', 'x'), { minLength: 1, maxLength: 3 }), value: jsonValueArb }),
    fc.record({ op: fc.constant('delete' as const), path: fc.array(fc.constantFrom('data', 'id', 'source', 'type', 'subject', 'time', 'kind', 'sequence', 'next_root'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), chars: fc.oneof(lone, fc.constantFrom('1.5', '1e3', '-0.0', '\\ud800', '"', '{', ']', ',', '\u0000', '99999999999999999999999')) }),
  );

  function mutate(env: Record<string, JsonValue>, m: { op: string; path?: string[]; value?: JsonValue; at?: number; chars?: string }): string {
    if (m.op === 'set' || m.op === 'delete') {
      const copy = parseJsonText(text(env)) as JsonObject;
      let target: JsonValue = copy;
      const path = m.path!;
      for (const key of path.slice(0, -1)) {
        if (!target || typeof target !== 'object' || Array.isArray(target)) break;
        target = (target as JsonObject)[key] ?? ((target as JsonObject)[key] = {});
      }
      if (target && typeof target === 'object' && !Array.isArray(target)) {
        const last = path[path.length - 1];
        if (m.op === 'set') (target as JsonObject)[last] = m.value!;
        else delete (target as JsonObject)[last];
      }
      return text(copy);
    }
    const t = text(env);
    const at = m.at! % (t.length + 1);
    return m.op === 'truncate' ? t.slice(0, at) : t.slice(0, at) + m.chars! + t.slice(at);
  }

  it('no text, however hostile, makes decode throw anything but PeerMessageFormatError', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          lone,
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.json(),
          jsonValueArb.map((v) => canonicalize(v)),
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(peerMessageArb, didArb, mutation).map(([message, source, m]) => mutate(envelope(message), m)),
          fc.tuple(didArb, mutation).map(([, m]) => mutate(envelope(), m)),
          fc.nat(600).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
        ),
        (input) => decodeOrFormatError(input),
      ),
      { numRuns: 2000 },
    );
  });

  it('envelopes around hostile data: lone surrogates, deep nesting, prototype keys', () => {
    const base = envelope(cosignatureMessage('c', 1));
    const data = base.data as JsonObject;
    const deep = (n: number): JsonValue => (n === 0 ? 1 : { a: deep(n - 1) });
    const inputs = [
      text({ ...base, subject: 'c\u0001', data: { ...data, corridor_id: 'c\u0001' } }),
      text(base).replace('"corridor_id":"c"', '"corridor_id":"\\ud800"').replace('"subject":"c"', '"subject":"\\ud800"'),
      text(base).replace('"proof":{', '"proof":{"x":"\\udc00",'),
      text({ ...base, data: { ...data, proof: deep(505) } }),
      text(base).replace('"proof":{', '"proof":{"__proto__":{"polluted":true},'),
      text(base).replace('{"data":{', '{"__proto__":{},"data":{'),
    ];
    for (const input of inputs) decodeOrFormatError(input);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
