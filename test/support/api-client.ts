import { createHash } from 'node:crypto';
import { signRequest, type Ed25519KeyPair } from '@corridor/protocol';

/** An HTTP answer of a node, the body parsed when it is JSON. */
export interface ApiAnswer<T> {
  status: number;
  body: T;
  text: string;
  headers: Headers;
}

/** `api(method, path, body?, headers?)`: headers override the caller's defaults; `authorization: ''` sends none. */
export type ApiFn = <T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<ApiAnswer<T>>;

/**
 * Who a test calls a node as: its operator (the default), nobody, the holder of a bearer token, or the owner of a
 * did:key (a peer node or a watcher), whose every request is signed (`Authorization: CorridorSig …`).
 */
export type Caller = 'operator' | 'anonymous' | { token: string } | { key: Ed25519KeyPair };

/** The operator token every test node is configured with (spec/security.md: operators hold bearer tokens). */
export const TEST_OPERATOR_TOKEN = 'test-operator-token-5d1c0a7e';
export const TEST_OPERATOR_NAME = 'test-operator';

export const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** CORRIDOR_OPERATOR_TOKENS for `token` added to the map in `env` (if any). */
export function withOperatorToken(env: Record<string, string>, token: string | null): Record<string, string> {
  if (token === null) return env;
  const map = env.CORRIDOR_OPERATOR_TOKENS ? (JSON.parse(env.CORRIDOR_OPERATOR_TOKENS) as Record<string, string>) : {};
  return { ...env, CORRIDOR_OPERATOR_TOKENS: JSON.stringify({ ...map, [TEST_OPERATOR_NAME]: sha256Hex(token) }) };
}

function lowered(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

/** A client of the node at `baseUrl`, calling as `caller` (with `operatorToken` for 'operator'). */
export function apiClient(baseUrl: () => string, caller: Caller, operatorToken: string | null, options: { timeoutMs?: number } = {}): ApiFn {
  return async <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> => {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    if (text !== undefined) h['content-type'] ??= 'application/json';
    if (!('authorization' in h)) {
      if (caller === 'operator' && operatorToken !== null) h.authorization = `Bearer ${operatorToken}`;
      else if (typeof caller === 'object' && 'token' in caller) h.authorization = `Bearer ${caller.token}`;
      else if (typeof caller === 'object' && 'key' in caller) {
        const url = new URL(path, baseUrl());
        h.authorization = signRequest({ method, path: url.pathname + url.search, body: text }, caller.key);
      }
    }
    if (h.authorization === '') delete h.authorization;
    const init: RequestInit = { method, headers: h, ...(text !== undefined ? { body: text } : {}), ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}) };
    let res: Response;
    try {
      if (typeof caller === 'object' && 'key' in caller && !('authorization' in lowered(headers))) {
        const url = new URL(path, baseUrl());
        h.authorization = signRequest({ method, path: url.pathname + url.search, body: text }, caller.key); // a fresh nonce
      }
      res = await fetch(baseUrl() + path, init);
    } catch (e) {
      // A keep-alive socket the server closed as the client reused it ("other side closed"): a read may simply be
      // sent again. Commands are not retried here — a test that wants that uses an Idempotency-Key.
      if (method !== 'GET' || !/other side closed|ECONNRESET|socket hang up/i.test(`${(e as Error).message} ${String((e as { cause?: unknown }).cause ?? '')}`)) throw e;
      if (typeof caller === 'object' && 'key' in caller && !('authorization' in lowered(headers))) {
        const url = new URL(path, baseUrl());
        h.authorization = signRequest({ method, path: url.pathname + url.search, body: text }, caller.key); // a fresh nonce
      }
      res = await fetch(baseUrl() + path, init);
    }
    const answer = await res.text();
    let parsed: unknown = answer;
    try {
      parsed = answer ? JSON.parse(answer) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, text: answer, headers: res.headers };
  };
}
