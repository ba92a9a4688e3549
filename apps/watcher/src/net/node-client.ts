import { parseJsonText, signRequest, type Ed25519KeyPair, type JsonValue } from '@corridor/protocol';

/** A node's answer: status, raw text, and the JSON value when the body is JSON (parsed strictly). */
export interface NodeAnswer {
  status: number;
  text: string;
  json: JsonValue | undefined;
  /** RFC 9457 problem type slug (`head-mismatch`), when the body is a problem. */
  problem?: string;
  detail?: string;
}

export class NodeUnreachableError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`${url}: ${cause instanceof Error ? (cause.cause instanceof Error ? `${cause.message} (${cause.cause.message})` : cause.message) : String(cause)}`);
    this.name = 'NodeUnreachableError';
  }
}

/**
 * JSON over HTTP to one node, every request bounded by a timeout and, with a signer, signed with the watcher's
 * did:key (`Authorization: CorridorSig …` over method, target, time, nonce and body: spec/security.md §2.2), which
 * is how a node recognises a bonded watcher.
 */
export class NodeClient {
  private readonly closing = new AbortController();

  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly signer?: Ed25519KeyPair,
  ) {}

  /** Aborts every read in flight and every later one (the watcher is stopping); posts finish within their timeout. */
  abort(): void {
    this.closing.abort(new Error('the watcher is stopping'));
  }

  url(path: string): string {
    return this.baseUrl + path;
  }

  /** The `authorization` header for a request (none without a signer). */
  authorization(method: string, path: string, body?: string): Record<string, string> {
    if (!this.signer) return {};
    const u = new URL(this.url(path));
    return { authorization: signRequest({ method, path: u.pathname + u.search, body }, this.signer) };
  }

  get(path: string): Promise<NodeAnswer> {
    return this.request('GET', path);
  }

  /** Not aborted by `abort`: an attestation or alarm sent is answered, so its delivery state stays exact. */
  post(path: string, body: string): Promise<NodeAnswer> {
    return this.request('POST', path, body);
  }

  private async request(method: string, path: string, body?: string): Promise<NodeAnswer> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const url = this.url(path);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.authorization(method, path, body),
        },
        body,
        signal: method === 'GET' ? AbortSignal.any([timeout, this.closing.signal]) : timeout,
      });
      text = await res.text();
    } catch (e) {
      throw new NodeUnreachableError(url, e);
    }
    let json: JsonValue | undefined;
    try {
      json = text === '' ? undefined : parseJsonText(text);
    } catch {
      json = undefined;
    }
    const answer: NodeAnswer = { status: res.status, text, json };
    if (json !== undefined && json !== null && typeof json === 'object' && !Array.isArray(json)) {
      const type = json.type;
      if (typeof type === 'string' && ((res.headers.get('content-type') ?? '').includes('problem+json') || (res.status >= 400 && /^https?:\/\//.test(type)))) {
        answer.problem = type.slice(type.lastIndexOf('/') + 1);
        if (typeof json.detail === 'string') answer.detail = json.detail;
      }
    }
    return answer;
  }
}

/** `status: detail` of an answer, for logs and health. */
export function describeAnswer(a: NodeAnswer): string {
  if (a.problem) return `${a.status} ${a.problem}${a.detail ? `: ${a.detail}` : ''}`;
  return `${a.status}${a.text ? `: ${a.text.slice(0, 300)}` : ''}`;
}
