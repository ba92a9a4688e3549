import { readFile } from 'node:fs/promises';
import { isJsonObject, parseJsonText, ProtocolError, type JsonObject, type JsonValue } from '@corridor/protocol';
import { CliProblem } from '../cli-problem';

/** The node's largest page of receipts (`?limit=`, spec/node.md §5). */
export const NODE_MAX_PAGE = 1000;

export interface NodeClientOptions {
  /**
   * A bearer token sent with every request: the node answers its reads to authenticated principals only
   * (spec/security.md) — an auditor's token for chain reads, a regulator's for those and `/regulator/…`.
   */
  token?: string;
  /** Per request; default 30 s. */
  timeoutMs?: number;
  /** Receipts per page (1–1000); default 1000, the node's largest page. */
  pageSize?: number;
}

/**
 * A read-only client of a node's HTTP API, for the auditor commands. Answers are parsed with the protocol's
 * JSON-text parser (big integers stay exact, floats are refused), and every failure becomes a CLI problem naming
 * the node and the path: unreachable node, 404, refused token, an answer that is not JSON.
 */
export class NodeClient {
  readonly base: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly pageSize: number;

  constructor(url: string, options: NodeClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliProblem('usage', 'Invalid command line', `--node must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new CliProblem('usage', 'Invalid command line', `--node must be an http(s) URL, got ${JSON.stringify(url)}`);
    }
    this.base = parsed.toString().replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.pageSize = Math.min(NODE_MAX_PAGE, Math.max(1, options.pageSize ?? NODE_MAX_PAGE));
  }

  get hasToken(): boolean {
    return this.token !== undefined && this.token !== '';
  }

  /** GET `path` (starting with `/`); the parsed JSON answer. */
  async get(path: string): Promise<JsonValue> {
    const url = this.base + path;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.hasToken) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.text();
    } catch (e) {
      throw new CliProblem('node-unreachable', 'Node unreachable', `cannot reach the node at ${this.base} (GET ${path}): ${describeFetchError(e)}`);
    }
    if (res.status < 200 || res.status > 299) {
      const detail = problemDetail(text);
      if (res.status === 404) throw new CliProblem('not-found', 'Not found', `${this.base}${path} answered 404${detail ? `: ${detail}` : ''}`);
      if (res.status === 401 || res.status === 403) {
        throw new CliProblem(
          'unauthorized',
          'Not authorized by the node',
          `${this.base}${path} answered ${res.status}${detail ? `: ${detail}` : ''}${this.hasToken ? '' : " (no --token was given: the node's reads need an auditor's or a regulator's bearer token)"}`,
        );
      }
      throw new CliProblem('node-error', 'The node answered with an error', `${this.base}${path} answered ${res.status}${detail ? `: ${detail}` : ''}`);
    }
    try {
      return parseJsonText(text);
    } catch (e) {
      const why = e instanceof ProtocolError ? e.message : String(e);
      throw new CliProblem('invalid-node-answer', 'The node answered something unreadable', `${this.base}${path}: the answer is not JSON the protocol accepts: ${why}`);
    }
  }

  /** GET that must answer a JSON object. */
  async getObject(path: string): Promise<JsonObject> {
    const v = await this.get(path);
    if (!isJsonObject(v)) throw invalidAnswer(this.base + path, 'expected a JSON object');
    return v;
  }

  /**
   * The receipts of the chain under `prefix` (`/corridors/ID`, `/corridors/ID/lifecycle`, `/migrations/ID`, …), page
   * by page through `?after=`, in sequence order, at most `upTo` of them (default: up to the head at the time of each
   * page). Each page is checked to continue the previous one exactly (sequence after sequence).
   */
  async *receiptPages(prefix: string, upTo?: number): AsyncGenerator<JsonObject[]> {
    let next = 0;
    for (;;) {
      if (upTo !== undefined && next >= upTo) return;
      const limit = upTo === undefined ? this.pageSize : Math.min(this.pageSize, upTo - next);
      const path = `${prefix}/receipts?after=${next - 1}&limit=${limit}`;
      const page = await this.getObject(path);
      const receipts = page.receipts;
      if (!Array.isArray(receipts)) throw invalidAnswer(this.base + path, 'the page has no receipts list');
      if (receipts.length === 0) {
        if (upTo !== undefined) throw invalidAnswer(this.base + path, `the chain ends at ${next} receipts, ${upTo} were expected`);
        return;
      }
      const out: JsonObject[] = [];
      for (const r of receipts) {
        if (!isJsonObject(r) || r.sequence !== next) {
          throw invalidAnswer(this.base + path, `expected the receipt of sequence ${next}, got ${isJsonObject(r) ? `sequence ${JSON.stringify(String(r.sequence))}` : 'something that is not a receipt'}`);
        }
        out.push(r);
        next++;
      }
      yield out;
    }
  }

  /** Every receipt of a chain (for chains that fit in memory: lifecycles, sagas, disputes, bonds). */
  async allReceipts(prefix: string, upTo?: number): Promise<JsonObject[]> {
    const all: JsonObject[] = [];
    for await (const page of this.receiptPages(prefix, upTo)) all.push(...page);
    return all;
  }
}

export function invalidAnswer(where: string, what: string): CliProblem {
  return new CliProblem('invalid-node-answer', 'The node answered something unreadable', `${where}: ${what}`);
}

function describeFetchError(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError') return 'no answer within the timeout';
  const cause = err?.cause;
  if (cause?.code) return cause.code;
  return cause?.message ?? err?.message ?? String(e);
}

function problemDetail(text: string): string {
  try {
    const v = parseJsonText(text);
    if (isJsonObject(v) && typeof v.detail === 'string') return v.detail;
  } catch {
    /* not a problem document */
  }
  return text.slice(0, 200);
}

/**
 * The bearer token of a node command: `--token TOKEN`, `--token-file FILE`, or the environment (CORRIDOR_TOKEN, else
 * CORRIDOR_REGULATOR_TOKEN).
 */
export async function readToken(values: Record<string, unknown>, env: Record<string, string | undefined>): Promise<string | undefined> {
  if (typeof values.token === 'string' && typeof values['token-file'] === 'string') throw new CliProblem('usage', 'Invalid command line', 'give --token or --token-file, not both');
  if (typeof values.token === 'string') return values.token;
  if (typeof values['token-file'] === 'string') return (await readFile(values['token-file'], 'utf8')).trim();
  for (const name of ['CORRIDOR_TOKEN', 'CORRIDOR_REGULATOR_TOKEN']) {
    const v = env[name];
    if (v && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** `encodeURIComponent` for a path segment (corridor ids, did:keys). */
export function seg(id: string): string {
  return encodeURIComponent(id);
}
