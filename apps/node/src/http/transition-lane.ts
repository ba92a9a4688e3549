import type { ArgumentsHost } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The stages every command request passes, in the order bootstrap mounts them for the other routes. */
export interface LaneStages {
  /** Authentication, authorization, rate limit before the body is read (SecurityGate.beforeBody). */
  readonly beforeBody: RequestHandler;
  /** The body reader of every other route (express.text with the node's limit): used for anything but the plain case. */
  readonly readBody: RequestHandler;
  /** The signature check of a signed request over the body as read (SecurityGate.afterBody). */
  readonly afterBody: RequestHandler;
  /** The protocol's JSON-text parser (json-body.middleware.ts). */
  readonly parseBody: RequestHandler;
  /** Idempotency-Key handling (the one instance shared with the other routes: one in-flight table). */
  readonly idempotency: RequestHandler;
  /** The body limit of express.text (bytes). */
  readonly maxBodyBytes: number;
  /** The route's handler: answers the request (or throws/rejects; the error is rendered as a problem). */
  readonly handle: (req: Request, res: Response, id: string) => Promise<void>;
  /** Renders a failure as the node's problem document (the global ProblemFilter). */
  readonly fail: (error: unknown, host: ArgumentsHost) => void;
}

/** The canonical form of the route's path: anything else (trailing slash, other case, a query) takes the router. */
const TRANSITIONS = /^\/corridors\/([^/?#]+)\/transitions$/;
/** Bodies read without body-parser: JSON in UTF-8 with a declared length and no content coding. */
const PLAIN_JSON = /^application\/json(?:\s*;\s*charset="?utf-8"?)?$/i;
const DECIMAL = /^[1-9]\d{0,9}$/;

/**
 * `POST /corridors/{id}/transitions`, the node's hot command, taken off the Express router and Nest's per-route
 * machinery (route matching over every registered route, the pipe/interceptor chain) and run as one straight line
 * of the very same stages: security gate, body read, signature check, JSON-text parse, Idempotency-Key, then the
 * route's own controller method with its DTO validated by the global pipe's compiled path, its answer rendered by the
 * same adapter and its failures by the same problem filter. Mounted after the command gate (and telemetry), so
 * admission, draining and in-flight accounting are unchanged.
 *
 * Only the canonical request form is taken here: a request whose path differs in case, has a trailing slash or a
 * query string, or whose id does not decode, goes on to the router exactly as before. Bodies are read directly only
 * in the plain case (application/json in UTF-8, Content-Length within the limit, no Content-Encoding); any other body
 * is read by the same body-parser instance as on every other route.
 */
export type TransitionLane = RequestHandler & {
  run(req: Request, res: Response, id: string): void;
  /** Takes requests from now on (until then every request passes on: see `plainNestRoute`). */
  enable(): void;
  readonly enabled: boolean;
};

export function transitionLane(stages: LaneStages): TransitionLane {
  const { beforeBody, readBody, afterBody, parseBody, idempotency, handle, fail, maxBodyBytes } = stages;
  let enabled = false;

  const run = (req: Request, res: Response, id: string): void => {
    const failed = (e: unknown): void => {
      try {
        fail(e, new ExecutionContextHost([req, res, failed]));
      } catch {
        if (!res.headersSent) res.status(500).end();
      }
    };
    const afterIdempotency = (e?: unknown): void => (e ? failed(e) : void handle(req, res, id).catch(failed));
    const afterParse = (e?: unknown): void => (e ? failed(e) : void idempotency(req, res, afterIdempotency));
    const afterSignature = (e?: unknown): void => (e ? failed(e) : void parseBody(req, res, afterParse));
    const afterRead = (e?: unknown): void => (e ? failed(e) : void afterBody(req, res, afterSignature));
    const afterGate = (e?: unknown): void => {
      if (e) return failed(e);
      if (!readPlainBody(req, maxBodyBytes, afterRead)) void readBody(req, res, afterRead);
    };
    try {
      void beforeBody(req, res, afterGate);
    } catch (e) {
      failed(e);
    }
  };

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    const id = enabled ? transitionTarget(req) : undefined;
    if (id === undefined) return next();
    run(req, res, id);
  };
  return Object.defineProperties(Object.assign(middleware, { run, enable: () => void (enabled = true) }), { enabled: { get: () => enabled } }) as TransitionLane;
}

/** What `plainNestRoute` reads of a Nest application: its global enhancers (NestApplication's ApplicationConfig). */
interface NestAppConfig {
  getGlobalPrefix(): string;
  getVersioning(): unknown;
  getGlobalFilters(): unknown[];
  getGlobalPipes(): unknown[];
  getGlobalInterceptors(): unknown[];
  getGlobalGuards(): unknown[];
  getGlobalRequestInterceptors(): { instance: unknown }[];
  getGlobalRequestPipes(): { instance: unknown }[];
  getGlobalRequestFilters(): { instance: unknown }[];
  getGlobalRequestGuards(): { instance: unknown }[];
}

/**
 * Why the lane could not stand in for Nest on a route (empty: it can). The lane runs the route's controller method
 * with the global pipe's compiled DTO validation and renders failures with the global problem filter — exactly what
 * Nest does as long as nothing else is configured: no global prefix or versioning, no guards or interceptors
 * (global or on the route), no pipes but the given global one, no filters but the given one, no pipes on the
 * method's parameters. Checked once the application is initialised; the lane is enabled only then.
 */
export function plainNestRoute(config: NestAppConfig, controller: Function, method: string, pipe: Function, filter: Function): string[] {
  const reasons: string[] = [];
  if (config.getGlobalPrefix() !== '') reasons.push('a global prefix is set');
  if (config.getVersioning() !== undefined) reasons.push('versioning is enabled');
  if (config.getGlobalGuards().length > 0 || config.getGlobalRequestGuards().length > 0) reasons.push('global guards are registered');
  if (config.getGlobalInterceptors().length > 0 || config.getGlobalRequestInterceptors().length > 0) reasons.push('global interceptors are registered');
  const pipes = [...config.getGlobalPipes(), ...config.getGlobalRequestPipes().map((w) => w.instance)];
  if (!pipes.every((p) => p instanceof (pipe as new () => unknown))) reasons.push(`a global pipe other than ${pipe.name} is registered`);
  const filters = [...config.getGlobalFilters(), ...config.getGlobalRequestFilters().map((w) => w.instance)];
  if (!filters.every((f) => f instanceof (filter as new () => unknown))) reasons.push(`a global filter other than ${filter.name} is registered`);
  const handler = (controller.prototype as Record<string, unknown>)[method];
  for (const [key, what] of [
    ['__guards__', 'guards'],
    ['__interceptors__', 'interceptors'],
    ['__pipes__', 'pipes'],
    ['__exceptionFilters__', 'exception filters'],
  ] as const) {
    const onClass = Reflect.getMetadata(key, controller) as unknown[] | undefined;
    const onMethod = typeof handler === 'function' ? (Reflect.getMetadata(key, handler) as unknown[] | undefined) : undefined;
    if ((onClass?.length ?? 0) > 0 || (onMethod?.length ?? 0) > 0) reasons.push(`the route has ${what}`);
  }
  const args = (Reflect.getMetadata('__routeArguments__', controller, method) ?? {}) as Record<string, { pipes?: unknown[] }>;
  if (Object.values(args).some((a) => (a.pipes?.length ?? 0) > 0)) reasons.push('a parameter of the route has pipes');
  if (typeof handler !== 'function') reasons.push(`${controller.name}.${method} is not a method`);
  return reasons;
}

/** The corridor id of a request the lane takes (canonical `POST /corridors/{id}/transitions`), else undefined. */
export function transitionTarget(req: IncomingMessage): string | undefined {
  if (req.method !== 'POST') return undefined;
  const m = TRANSITIONS.exec(req.url ?? '');
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined; // the router answers an undecodable parameter
  }
}

/** Nest's Express adapter: its hook layer passes every request on while neither hook is set. */
interface NestAdapterHooks {
  readonly onRequestHook?: unknown;
  readonly onResponseHook?: unknown;
}

/** What the lane needs of the Express application it stands in front of. */
interface ExpressApp {
  (req: IncomingMessage, res: ServerResponse): void;
  readonly request: object;
  readonly response: object;
  enabled(setting: string): boolean;
  readonly router?: { readonly stack: readonly { readonly handle: unknown }[] };
}

/**
 * Puts the lane in front of Express itself, when that changes nothing but the cost: the HTTP server's request
 * listener takes the lane's requests — admitted by the command gate exactly as its Express middleware would, then
 * given Express's request and response (what `app.handle` and the router set up) — and hands every other request
 * to Express as before. Installed only when the command gate is the one middleware mounted before the lane, after
 * Nest's adapter hook layer (no telemetry middleware, nothing else), and used only while that layer has no hook to
 * run; otherwise the lane stays an Express middleware. Returns whether it installed.
 */
export function installLaneEntry(server: Server, expressApp: ExpressApp, nest: NestAdapterHooks, admit: RequestHandler, lane: TransitionLane): boolean {
  if (!lane.enabled) return false;
  // Nest's Express adapter mounts its request/response hook layer first (it passes requests on unless a hook is set).
  const stack = expressApp.router?.stack ?? [];
  if (stack.length < 3 || stack[1]!.handle !== admit || stack[2]!.handle !== lane) return false;
  const listeners = server.listeners('request');
  if (!listeners.includes(expressApp)) return false;
  const entry = (req: IncomingMessage, res: ServerResponse): void => {
    const id = nest.onRequestHook || nest.onResponseHook ? undefined : transitionTarget(req);
    if (id === undefined) return expressApp(req, res);
    // What Express's app.handle and router set up before the first middleware.
    if (expressApp.enabled('x-powered-by')) res.setHeader('X-Powered-By', 'Express');
    const r = req as Request;
    const s = res as Response;
    (r as { res: Response }).res = s;
    (s as { req: Request }).req = r;
    Object.setPrototypeOf(req, expressApp.request);
    Object.setPrototypeOf(res, expressApp.response);
    s.locals ??= Object.create(null) as Response['locals'];
    r.baseUrl = '';
    r.originalUrl = r.url;
    r.params = {};
    void admit(r, s, () => lane.run(r, s, id));
  };
  server.removeAllListeners('request');
  for (const l of listeners) server.on('request', l === expressApp ? entry : (l as (...args: unknown[]) => void));
  return true;
}

/**
 * Reads a plain JSON body (see PLAIN_JSON) into `req.body` as text, exactly as express.text would (UTF-8, a leading
 * byte-order mark dropped); false, and nothing read, for any other request.
 */
function readPlainBody(req: Request, limit: number, done: (e?: unknown) => void): boolean {
  const h = req.headers;
  const type = h['content-type'];
  const length = h['content-length'];
  if (type === undefined || length === undefined || h['content-encoding'] !== undefined || h['transfer-encoding'] !== undefined) return false;
  if (!DECIMAL.test(length) || Number(length) > limit || !PLAIN_JSON.test(type)) return false;
  const expected = Number(length);
  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const onData = (chunk: Buffer): void => {
    received += chunk.length;
    chunks.push(chunk);
  };
  const onEnd = (): void => {
    if (settled) return;
    settled = true;
    cleanup();
    if (received !== expected) return done(bodyError('request size did not match content length', 'request.size.invalid', expected, received));
    let text = (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)).toString('utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    req.body = text;
    done();
  };
  const onAbort = (): void => {
    if (settled) return;
    settled = true;
    cleanup();
    done(bodyError('request aborted', 'request.aborted', expected, received));
  };
  const onError = (e: Error): void => {
    if (settled) return;
    settled = true;
    cleanup();
    done(Object.assign(e, { status: 400, statusCode: 400, expose: true, type: (e as { type?: string }).type ?? 'request.aborted' }));
  };
  const cleanup = (): void => {
    req.removeListener('data', onData);
    req.removeListener('end', onEnd);
    req.removeListener('aborted', onAbort);
    req.removeListener('close', onClose);
    req.removeListener('error', onError);
  };
  const onClose = (): void => {
    if (!req.complete) onAbort();
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('aborted', onAbort);
  req.on('close', onClose);
  req.on('error', onError);
  return true;
}

/** The shape of body-parser's errors (status + type), which the problem filter renders as `invalid-body`. */
function bodyError(message: string, type: string, expected: number, received: number): Error {
  return Object.assign(new Error(message), { status: 400, statusCode: 400, expose: true, type, expected, received, length: expected });
}
