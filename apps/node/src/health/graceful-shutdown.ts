import type { Server } from 'node:http';
import { Logger, type INestApplication, type Type } from '@nestjs/common';
import type { NodeConfig } from '../config/node-config';
import { LedgerLifecycle } from '../infrastructure/ledger-lifecycle';
import { PeeringService } from '../peering/peering.service';
import { CorridorTransitionProcessManager } from '../process-managers/corridor-transition.process-manager';
import { ProjectionRuntime } from '../projections/projection-runtime';
import { MigrationDeadlineScheduler } from '../scheduler/migration-deadline.scheduler';

/** The node's operations hooks, installed by `startNode` (bootstrap.ts). */
export interface NodeLifecycle {
  /** The graceful shutdown (spec/operations.md §2); the same promise however often it is called. */
  shutdown(): Promise<void>;
}

/**
 * Installs the command gate as the first middleware (before body parsing, so a refused command costs nothing) and
 * returns the shutdown sequence. Call right after `NestFactory.create`, before any other `app.use`.
 */
export function installLifecycle(app: INestApplication, config: NodeConfig): NodeLifecycle {
  const lifecycle = app.get(LedgerLifecycle, { strict: false });
  app.use(lifecycle.gate.middleware);
  let running: Promise<void> | undefined;
  return {
    shutdown: () => (running ??= shutdownNode(app, lifecycle, { drainMs: config.shutdownDrainMs, timeoutMs: config.shutdownTimeoutMs })),
  };
}

/**
 * The shutdown sequence, each step waiting for the previous one:
 * 1. stop taking commands: new mutating requests get 503 `shutting-down` with `Retry-After`; readiness answers 503;
 *    reads go on;
 * 2. finish the commands in flight (HTTP, the saga deadline scheduler's pass, the corridor process manager's pass);
 *    the listener stays open at least `drainMs`;
 * 3. stop the peer transport (Kafka: the consumer commits the offsets it handled and leaves its group);
 * 4. stop the projections (each commits what it folded);
 * 5. close HTTP: stop listening, let the reads in flight finish, end the event streams;
 * 6. close the stores (Nest's shutdown hooks; the event store last, LedgerLifecycle).
 * Waits are bounded by `timeoutMs`: past it the sequence goes on regardless (main.ts exits the process then). A step
 * that throws is logged and the next ones still run; the returned promise then rejects (main.ts: exit 1).
 */
export async function shutdownNode(app: INestApplication, lifecycle: LedgerLifecycle, options: { drainMs: number; timeoutMs: number }): Promise<void> {
  const log = new Logger('Shutdown');
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  const gate = lifecycle.gate;
  // A step that fails is logged and the sequence goes on (the stores still close); the shutdown then rejects.
  const failed: string[] = [];
  const step = async (what: string, work: () => Promise<unknown>) => {
    const t = Date.now();
    try {
      await work();
      log.log(`${what} (${Date.now() - t} ms)`);
    } catch (e) {
      failed.push(what);
      log.error(`shutdown step failed (${what}): ${(e as Error)?.stack ?? String(e)}`);
    }
  };

  gate.beginDrain();
  log.log(`refusing new commands; ${gate.commandsInFlight} in flight`);
  await step('in-flight commands finished', async () => {
    const [done] = await Promise.all([gate.whenNoCommands(deadline), sleep(Math.min(options.drainMs, Math.max(0, deadline - Date.now())))]);
    if (!done) log.warn(`${gate.commandsInFlight} command(s) still in flight at the shutdown bound; going on`);
    await optional(app, MigrationDeadlineScheduler, (s) => s.onModuleDestroy());
    await optional(app, CorridorTransitionProcessManager, (pm) => pm.onModuleDestroy());
  });
  gate.enter('stopping');
  await step('peer transport stopped', () => optional(app, PeeringService, (p) => p.onApplicationShutdown()));
  await step('projections stopped', () => optional(app, ProjectionRuntime, (p) => p.beforeApplicationShutdown()));
  await step('HTTP closed', () => closeHttp(app.getHttpServer() as Server, () => gate.whenNoRequests(deadline)));
  await step('stores closed', () => app.close());
  gate.enter('stopped');
  if (failed.length > 0) throw new Error(`shutdown finished with failed steps: ${failed.join(', ')}`);
  log.log(`stopped in ${Date.now() - started} ms`);
}

/** Stops listening, lets the requests in flight finish (bounded by `requestsDone`), then ends what is left. */
async function closeHttp(server: Server | undefined, requestsDone: () => Promise<boolean>): Promise<void> {
  if (!server?.listening) return;
  const closed = new Promise<void>((resolve) => server.close(() => resolve())); // idle keep-alive connections end now
  await requestsDone();
  server.closeAllConnections(); // event streams, and whatever outlived the bound
  await closed;
}

/** Runs `work` on the component if this node has it (a node without that module skips the step). */
async function optional<T>(app: INestApplication, type: Type<T>, work: (component: T) => Promise<unknown> | unknown): Promise<void> {
  let component: T;
  try {
    component = app.get(type, { strict: false });
  } catch {
    return;
  }
  await work(component);
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
