import type { IncomingMessage, ServerResponse } from 'node:http';
import { PROBLEM_BASE_URI } from '@corridor/protocol';

/**
 * Where the node is in its life, as readiness reports it:
 * - `serving`: commands and reads are taken;
 * - `draining`: SIGTERM received; new commands are refused (503), reads are served, in-flight commands finish;
 * - `stopping`: no command is in flight any more; the peer transport, projections, HTTP and stores are closing;
 * - `stopped`: everything is closed.
 */
export type LifecycleState = 'serving' | 'draining' | 'stopping' | 'stopped';

/** Seconds a refused client is asked to wait (`Retry-After`): about what a restart takes. */
export const SHUTTING_DOWN_RETRY_AFTER_SECONDS = 5;

/** Methods that change state: every command of the API (and peer messages, attestations, admin rebuilds). */
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface InFlight {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly command: boolean;
}

/**
 * Admission of HTTP requests, and what is still in flight. Installed as the first middleware, so a refused command
 * costs nothing (its body is read and dropped, never parsed) and every admitted request is counted until its
 * response has closed.
 */
export class CommandGate {
  private current: LifecycleState = 'serving';
  private readonly inFlight = new Set<InFlight>();
  private waiters: Array<() => void> = [];

  get state(): LifecycleState {
    return this.current;
  }

  /** True once shutdown has begun: commands are refused. */
  get closed(): boolean {
    return this.current !== 'serving';
  }

  /** Commands (mutating requests) admitted and not yet answered. */
  get commandsInFlight(): number {
    let n = 0;
    for (const r of this.inFlight) if (r.command) n++;
    return n;
  }

  /** Requests admitted and not yet answered, event streams excepted (they end only when HTTP closes). */
  get requestsInFlight(): number {
    let n = 0;
    for (const r of this.inFlight) if (!isEventStream(r)) n++;
    return n;
  }

  /** The middleware (express or plain node `http`). */
  readonly middleware = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const command = MUTATING.has(req.method ?? '');
    if (this.current !== 'serving') {
      // Whatever is still answered is the connection's last answer: clients reconnect elsewhere (or later).
      if (!res.headersSent) res.setHeader('connection', 'close');
      if (command) return refuse(req, res);
    }
    const entry: InFlight = { req, res, command };
    this.inFlight.add(entry);
    res.once('close', () => {
      this.inFlight.delete(entry);
      this.notify();
    });
    next();
  };

  /** From now on new commands are refused; the answers still to come close their connections. */
  beginDrain(): void {
    if (this.current !== 'serving') return;
    this.current = 'draining';
    for (const { res } of this.inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    this.notify();
  }

  /** Moves on to a later state (never back). */
  enter(state: Exclude<LifecycleState, 'serving' | 'draining'>): void {
    const order: LifecycleState[] = ['serving', 'draining', 'stopping', 'stopped'];
    if (order.indexOf(state) > order.indexOf(this.current)) this.current = state;
    this.notify();
  }

  /** Resolves true once no command is in flight, false if `deadline` (epoch ms) comes first. */
  whenNoCommands(deadline: number): Promise<boolean> {
    return this.waitUntil(() => this.commandsInFlight === 0, deadline);
  }

  /** Resolves true once no request (event streams excepted) is in flight, false if `deadline` comes first. */
  whenNoRequests(deadline: number): Promise<boolean> {
    return this.waitUntil(() => this.requestsInFlight === 0, deadline);
  }

  private waitUntil(done: () => boolean, deadline: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (!done()) return false;
        clearTimeout(timer);
        resolve(true);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(done());
      }, Math.max(0, deadline - Date.now()));
      const waiter = () => {
        if (check()) this.waiters = this.waiters.filter((w) => w !== waiter);
      };
      this.waiters.push(waiter);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** A Server-Sent Events answer (the watchers' receipt stream): by its content type, or by what the client asked. */
function isEventStream({ req, res }: InFlight): boolean {
  return String(res.getHeader('content-type') ?? '').startsWith('text/event-stream') || String(req.headers.accept ?? '').includes('text/event-stream');
}

/**
 * 503 `shutting-down` with `Retry-After`. The request body is read (and dropped) first: closing a connection
 * with unread bytes makes the kernel answer with a reset instead of the 503.
 */
function refuse(req: IncomingMessage, res: ServerResponse): void {
  const body = JSON.stringify({
    detail: `the node is shutting down and takes no new commands; nothing of this request was applied. Retry after ${SHUTTING_DOWN_RETRY_AFTER_SECONDS} s (this node once restarted, or another replica)`,
    instance: req.url ?? '/',
    status: 503,
    title: 'Shutting down',
    type: `${PROBLEM_BASE_URI}shutting-down`,
  });
  let sent = false;
  const send = () => {
    if (sent || res.headersSent || res.destroyed) return;
    sent = true;
    res.writeHead(503, {
      'content-type': 'application/problem+json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'retry-after': String(SHUTTING_DOWN_RETRY_AFTER_SECONDS),
      connection: 'close',
    });
    res.end(body);
  };
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (!hasBody || req.readableEnded) return send();
  req.once('end', send);
  req.once('error', send);
  req.resume();
}
