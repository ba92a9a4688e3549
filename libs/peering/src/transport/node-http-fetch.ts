import * as http from 'node:http';
import * as https from 'node:https';

/** The part of `fetch` the HTTP transport uses: a method, string headers, a string body, an abort signal. */
export interface PeerFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** Statuses whose answers have no body (a `Response` refuses one). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/**
 * `fetch` for peer traffic on node's own HTTP client with keep-alive connections. The global `fetch` (undici's WHATWG
 * implementation: streams, Headers objects, a signal per request) costs several times more CPU per request, and the
 * transport makes one request per batch in both directions; on a small machine that is CPU taken from the ledger.
 * Answers are whole `Response`s (the transport reads status, headers and text only).
 */
export function nodeHttpFetch(options: { maxSocketsPerPeer?: number } = {}): (url: string | URL, init?: PeerFetchInit) => Promise<Response> {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: options.maxSocketsPerPeer ?? 8 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: options.maxSocketsPerPeer ?? 8 }),
  };
  return async (input, init = {}) => {
    try {
      return await attempt(input, init, agents);
    } catch (e) {
      // A keep-alive connection the peer closed while it sat idle can be handed out before its close is read; the
      // request then fails with a reset and no answer. Node's documented remedy: once more, on a new connection
      // (peer messages are idempotent, so a request the peer did see does no harm when it comes again).
      if (!(e instanceof StaleConnectionError) || init.signal?.aborted) throw e instanceof StaleConnectionError ? e.cause : e;
      return attempt(input, init, agents);
    }
  };
}

/** A request that failed on a reused keep-alive connection before any answer (the error is its `cause`). */
class StaleConnectionError extends Error {}

const STALE_CODES = new Set(['ECONNRESET', 'EPIPE']);

function attempt(input: string | URL, init: PeerFetchInit, agents: Record<'http:' | 'https:', http.Agent>): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const url = typeof input === 'string' ? new URL(input) : input;
    const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
    if (!client) return reject(new TypeError(`unsupported protocol ${url.protocol}`));
    const signal = init.signal;
    if (signal?.aborted) return reject(abortReason(signal));
    const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
    const headers: Record<string, string | number> = { ...(init.headers ?? {}) };
    if (body) headers['content-length'] = body.length;
    let answered = false;
    const req = client.request(url, { method: init.method ?? 'GET', headers, agent: agents[url.protocol as 'http:' | 'https:'] }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () => {
        signal?.removeEventListener('abort', onAbort);
        const status = res.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value === undefined) continue;
          for (const v of Array.isArray(value) ? value : [value]) responseHeaders.append(name, v);
        }
        try {
          resolve(new Response(NULL_BODY_STATUS.has(status) ? null : Buffer.concat(chunks), { status, headers: responseHeaders }));
        } catch (e) {
          reject(e);
        }
      });
    });
    function fail(e: unknown): void {
      signal?.removeEventListener('abort', onAbort);
      const stale = req.reusedSocket && !answered && STALE_CODES.has((e as NodeJS.ErrnoException)?.code ?? '');
      reject(stale ? new StaleConnectionError('stale keep-alive connection', { cause: e }) : e);
    }
    function onAbort(): void {
      const reason = abortReason(signal!);
      req.destroy(reason instanceof Error ? reason : new Error(String(reason)));
      reject(reason);
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', fail);
    req.end(body);
  });
}

/** Why a signal aborted, as `fetch` reports it (its reason, else an `AbortError`). */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}
