import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { Logger, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Server } from 'node:http';
import express, { type RequestHandler } from 'express';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import { canonicalize, parseJsonText, type JsonObject } from '@corridor/protocol';
import { AppModule } from './app.module';
import type { NodeConfig } from './config/node-config';
import { loadOrCreateNodeKey } from './config/node-key';
import { CanonicalJsonExpressAdapter } from './http/canonical-json.adapter';
import { jsonTextBody } from './http/json-body.middleware';
import { ProblemFilter } from './http/problem.filter';
import { installLaneEntry, plainNestRoute, transitionLane, type LaneStages } from './http/transition-lane';
import { CompiledDtoAwareValidationPipe } from './http/validation';
import { LedgerLifecycle } from './infrastructure/ledger-lifecycle';
import { RecordCorridorTransitionController } from './corridors/record-transition/record-transition.controller';
import { RECORD_TRANSITION_BODY } from './corridors/record-transition/record-transition.dto';
import { idempotencyMiddleware, type InDoubtResolver } from './idempotency/idempotency.middleware';
import type { IdempotencyStore } from './idempotency/idempotency.store';
import { IDEMPOTENCY_STORE } from './infrastructure/tokens';
import { installLifecycle } from './health/graceful-shutdown';
import { nodeTelemetry } from './telemetry/node-telemetry';
import { hardenHttpServer, securityGate } from './security/http-hardening';

export interface RunningNode {
  app: INestApplication;
  url: string;
  did: string;
  close(): Promise<void>;
}

/** Builds and starts a node: keys, stores, HTTP (with OpenAPI at /docs). */
export async function startNode(config: NodeConfig, options: { logger?: LoggerService | false } = {}): Promise<RunningNode> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 }); // the embedded stores live here, whatever the key file
  const { key, created } = loadOrCreateNodeKey(config.keyFile, `${config.jurisdiction.toLowerCase()}-node`);
  // Telemetry (spec/telemetry.md): the log format (CORRIDOR_LOG_FORMAT, unless a logger is given), then request spans.
  const telemetry = nodeTelemetry(config, key.did, options.logger);
  const app = await NestFactory.create(AppModule.register(config, key), new CanonicalJsonExpressAdapter(), { bodyParser: false, logger: telemetry.bootLogger, abortOnError: false });
  const logger = new Logger('Node');
  Logger.overrideLogger(telemetry.runLogger);
  if (created) logger.log(`generated node key ${key.did} in ${config.keyFile}`);

  // Operations (spec/operations.md): the command gate first of all middleware; close() is the graceful shutdown.
  const lifecycle = installLifecycle(app, config);
  // The request's SERVER span and the receipt-stream tap, before body parsing; this node's gauges (spec/telemetry.md).
  telemetry.instrument(app);

  // Security (spec/security.md): every request is authenticated, authorized and rate-limited; a did-signed request's
  // signature is checked over the body as read. Bodies are read as text and parsed by the protocol's JSON-text parser.
  const gate = securityGate(app);
  const readBody = express.text({ type: ['application/json', 'application/*+json'], limit: config.maxBodyBytes });
  const store = app.get<EventStore>(EVENT_STORE);
  const idempotency = idempotencyMiddleware(app.get<IdempotencyStore>(IDEMPOTENCY_STORE), inDoubtResolver(store));
  const problems = new ProblemFilter();
  // The hot command (POST /corridors/{id}/transitions) runs the same stages in one straight line, off the router
  // (http/transition-lane.ts); every other request goes through them below.
  const lane = transitionLane({ beforeBody: gate.beforeBody, readBody, afterBody: gate.afterBody, parseBody: jsonTextBody, idempotency, maxBodyBytes: config.maxBodyBytes, handle: recordTransition(app), fail: (e, host) => problems.catch(e, host) });
  app.use(lane);
  app.use(gate.beforeBody);
  app.use(readBody);
  app.use(gate.afterBody);
  app.use(jsonTextBody);
  app.use(idempotency);
  app.useGlobalFilters(problems);

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Corridor Ledger node')
      .setDescription('A jurisdiction node of a cross-border corridor: corridors, migration sagas, watcher bonds and disputes as MMR-backed receipt chains. Errors are RFC 9457 problem documents.')
      .setVersion('0.1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });

  hardenHttpServer(app, config);
  await app.listen(config.httpPort, config.httpHost);
  // The lane takes the route only where it is exactly what Nest would run (no other enhancers); with nothing but the
  // command gate before it, it also stands in front of Express (same stages, less routing work); with telemetry
  // middleware it stays an Express middleware.
  const unlike = plainNestRoute((app as unknown as { config: Parameters<typeof plainNestRoute>[0] }).config, RecordCorridorTransitionController, 'record', CompiledDtoAwareValidationPipe, ProblemFilter);
  if (unlike.length === 0) {
    lane.enable();
    installLaneEntry(app.getHttpServer() as Server, app.getHttpAdapter().getInstance(), app.getHttpAdapter() as object, app.get(LedgerLifecycle, { strict: false }).gate.middleware as RequestHandler, lane);
  } else logger.warn(`POST ${TRANSITIONS_ROUTE} goes through the router: ${unlike.join('; ')}`);
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://${config.httpHost}:${address.port}`;
  logger.log(`node ${config.jurisdiction} ${key.did} listening on ${url} (event store: ${config.eventStore}, data: ${config.dataDir})`);
  return {
    app,
    url,
    did: key.did,
    close: () => lifecycle.shutdown(),
  };
}

/** The route handler of POST /corridors/{id}/transitions as Nest runs it: status 201, the body DTO, the controller, the adapter's answer. */
function recordTransition(app: INestApplication): LaneStages['handle'] {
  const controller = app.get(RecordCorridorTransitionController);
  const adapter = app.getHttpAdapter();
  let route: unknown;
  return async (req, res, id) => {
    // What the router sets for the handler it runs (telemetry names the request's span after req.route.path).
    route ??= expressRoute(adapter.getInstance(), 'post', TRANSITIONS_ROUTE);
    Object.assign(req, { route, params: { id }, baseUrl: '' });
    res.status(201); // @HttpCode(201); the controller may answer 202 instead
    const result = await controller.record(id, RECORD_TRANSITION_BODY.validate(req.body), res);
    await adapter.reply(res, result);
  };
}

const TRANSITIONS_ROUTE = '/corridors/:id/transitions';

/** The Express Route object registered for `METHOD path` (Nest registers routes when the application starts). */
function expressRoute(expressApp: { router?: { stack: { route?: { path: unknown; methods: Record<string, boolean> } }[] } }, method: string, path: string): unknown {
  const found = expressApp.router?.stack.find((l) => l.route?.path === path && l.route.methods[method]);
  if (!found) throw new Error(`no route ${method.toUpperCase()} ${path} is registered`);
  return found.route;
}

/** After a crash between append and answer: the events carrying the key are the command's effect. */
function inDoubtResolver(store: EventStore): InDoubtResolver {
  return async (stream, key) => {
    const events = await store.read(stream);
    const mine = events.filter((e) => e.metadata?.idempotency_key === key);
    if (mine.length === 0) return undefined;
    const receipts = mine.map((e) => ({ stream, receipt: parseJsonText(e.data) as JsonObject }));
    const dash = stream.indexOf('-');
    const aggregate = stream.slice(0, dash).replace(/_lifecycle$/, '').replace(/_/g, '-');
    return { status: 201, body: canonicalize({ aggregate, id: stream.slice(dash + 1), receipts }) };
  };
}
