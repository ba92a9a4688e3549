import { digestOf, isDigest } from '../digest';
import { ProtocolError } from '../errors';
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json-value';

export const TRANSITION_ENVELOPE_TYPE = 'MSEZTransitionEnvelope';

/** What a receipt commits to about the transition it records. */
export interface TransitionEnvelope extends JsonObject {
  type: typeof TRANSITION_ENVELOPE_TYPE;
  kind: string;
  payload: JsonValue;
  payload_sha256: string;
}

/**
 * The reference's `_load_transition_envelope`:
 * - no input ⇒ a `noop` envelope with an empty payload;
 * - an object typed `MSEZTransitionEnvelope` ⇒ used as it is;
 * - an object with `kind` and `payload` ⇒ the type is added;
 * - an object with `kind` only ⇒ its other fields become the payload;
 * - anything else ⇒ kind `generic` with the value as payload.
 * `payload_sha256` is the digest of the canonical payload; a supplied value that differs is an error.
 * Without a payload, a supplied 64-hex `payload_sha256` stands in for it (a redacted transition).
 */
export function makeTransitionEnvelope(input?: JsonValue): TransitionEnvelope {
  let env: JsonObject;
  if (input === undefined || input === null) {
    env = { type: TRANSITION_ENVELOPE_TYPE, kind: 'noop', payload: {} };
  } else if (isJsonObject(input) && input.type === TRANSITION_ENVELOPE_TYPE) {
    env = { ...input };
  } else if (isJsonObject(input) && 'kind' in input && 'payload' in input) {
    env = { type: TRANSITION_ENVELOPE_TYPE, ...input };
  } else if (isJsonObject(input) && 'kind' in input) {
    const { kind, ...rest } = input;
    env = { type: TRANSITION_ENVELOPE_TYPE, kind, payload: rest };
  } else {
    env = { type: TRANSITION_ENVELOPE_TYPE, kind: 'generic', payload: input };
  }
  if (typeof env.kind !== 'string' || env.kind.trim() === '') {
    throw new ProtocolError('invalid-envelope', 'transition kind must be a non-empty string');
  }
  if ('payload' in env) {
    const computed = digestOf(env.payload);
    const supplied = env.payload_sha256;
    if (supplied !== undefined && supplied !== null && supplied !== '') {
      if (typeof supplied !== 'string' || supplied.trim().toLowerCase() !== computed) {
        throw new ProtocolError('invalid-envelope', `payload_sha256 mismatch: supplied ${String(supplied)}, computed ${computed}`);
      }
    }
    env.payload_sha256 = computed;
  } else if (!isDigest(env.payload_sha256)) {
    throw new ProtocolError('invalid-envelope', 'a transition without payload must carry payload_sha256 (64 lowercase hex)');
  }
  return env as TransitionEnvelope;
}
