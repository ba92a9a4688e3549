import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { A } from './attributes';
import { tracer } from './tracing';

type Request = IncomingMessage & { path?: string; route?: { path?: unknown }; baseUrl?: string };
type Next = (err?: unknown) => void;

/** Probes are not traced: a span every few seconds per probe tells nothing. */
const UNTRACED = /^\/health\//;
const RECEIPT_STREAM = /^\/corridors\/([^/]+)\/stream\/?$/;

/** One open receipt-stream (SSE) subscription: the corridor and the last receipt sequence written to it. */
export interface Subscription {
  readonly corridorId: string;
  sent: number;
  /** True once the answer is an event stream. */
  readonly streaming: () => boolean;
}

/** The receipt-stream subscriptions open on one node (for `corridor.stream.subscription.lag`). */
export class SubscriptionRegistry {
  private readonly open = new Set<Subscription>();
  /** Corridors that had a subscriber since the start. */
  private readonly seen = new Set<string>();

  add(s: Subscription): void {
    this.open.add(s);
  }

  remove(s: Subscription): void {
    this.open.delete(s);
  }

  /**
   * Open subscriptions by corridor; a corridor whose subscribers all left stays, with none, so that its gauges go
   * to 0 (a cumulative exporter repeats the last value of a series that is no longer observed).
   */
  byCorridor(): Map<string, Subscription[]> {
    const map = new Map<string, Subscription[]>();
    for (const id of this.seen) map.set(id, []);
    for (const s of this.open) {
      if (!s.streaming()) continue;
      this.seen.add(s.corridorId);
      map.set(s.corridorId, [...(map.get(s.corridorId) ?? []), s]);
    }
    return map;
  }
}

export interface HttpTelemetryOptions {
  nodeDid: string;
  jurisdiction: string;
  /** Make a SERVER span per request (continuing a W3C `traceparent` header). */
  tracing: boolean;
  /** Follow the receipt streams' progress here (metrics). */
  subscriptions?: SubscriptionRegistry;
}

/**
 * The first middleware of the node: the request's SERVER span, made the active context of everything the request
 * runs — the request's emitters are bound to it too, so body parsing and other stream callbacks stay in it — and
 * the receipt-stream tap that follows how far each SSE subscriber was sent.
 */
export function httpTelemetry(options: HttpTelemetryOptions) {
  return (req: Request, res: ServerResponse, next: Next): void => {
    const path = req.path ?? (req.url ?? '/').split('?')[0]!;
    if (options.subscriptions && req.method === 'GET') tapReceiptStream(options.subscriptions, path, req, res);
    if (!options.tracing || UNTRACED.test(path)) return next();

    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const method = req.method ?? 'GET';
    const span = tracer().startSpan(
      method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [A.httpMethod]: method,
          [A.urlPath]: path,
          [A.urlScheme]: 'http',
          [A.nodeDid]: options.nodeDid,
          [A.jurisdiction]: options.jurisdiction,
          ...(req.headers['user-agent'] ? { [A.userAgent]: req.headers['user-agent'] } : {}),
          ...(req.socket?.remoteAddress ? { [A.clientAddress]: req.socket.remoteAddress } : {}),
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    context.bind(ctx, req);
    context.bind(ctx, res);
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      const route = routeOf(req);
      if (route) {
        span.updateName(`${method} ${route}`);
        span.setAttribute(A.httpRoute, route);
      }
      span.setAttribute(A.httpStatus, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      if (!res.writableFinished) span.setAttribute(A.errorType, 'aborted');
      span.end();
    };
    res.once('finish', end);
    res.once('close', end);
    context.with(ctx, next);
  };
}

/** The matched route template (`/corridors/:id/transitions`), when the router matched one. */
function routeOf(req: Request): string | undefined {
  const p = req.route?.path;
  return typeof p === 'string' ? `${req.baseUrl ?? ''}${p}` : undefined;
}

const RECEIPT_EVENT = 'event: receipt\nid: ';

/** Follows an SSE receipt stream: each `event: receipt` / `id: N` written moves the subscriber's position. */
function tapReceiptStream(registry: SubscriptionRegistry, path: string, req: Request, res: ServerResponse): void {
  const m = RECEIPT_STREAM.exec(path);
  if (!m) return;
  let corridorId: string;
  try {
    corridorId = decodeURIComponent(m[1]!);
  } catch {
    return;
  }
  const from = (req.headers['last-event-id'] as string | undefined) ?? new URLSearchParams((req.url ?? '').split('?')[1] ?? '').get('after') ?? '-1';
  const subscription: Subscription = {
    corridorId,
    sent: /^-?\d{1,15}$/.test(from) ? Number(from) : -1,
    // Counted once the stream answered (a refused subscription is a problem document, not a stream).
    streaming: () => res.headersSent && res.statusCode === 200 && String(res.getHeader('content-type') ?? '').startsWith('text/event-stream'),
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && chunk.startsWith(RECEIPT_EVENT)) {
      const end = chunk.indexOf('\n', RECEIPT_EVENT.length);
      const seq = Number(chunk.slice(RECEIPT_EVENT.length, end < 0 ? undefined : end));
      if (Number.isSafeInteger(seq)) subscription.sent = seq;
    }
    return write(chunk, ...rest);
  }) as ServerResponse['write'];
  registry.add(subscription);
  res.once('close', () => registry.remove(subscription));
}
