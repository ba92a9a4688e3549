import { Logger, type INestApplication, type LoggerService, type LogLevel } from '@nestjs/common';
import type { NodeConfig } from '../config/node-config';
import { httpTelemetry, SubscriptionRegistry } from './http-telemetry';
import { JsonLogger } from './json-logger';
import { metricsRegistered } from './metrics';
import { registerNodeGauges } from './node-gauges';
import { tracingRegistered } from './tracing';

/** What Nest logs while the application is built (its module and route lines are left out) and once it runs. */
const BOOT_LEVELS: LogLevel[] = ['fatal', 'error', 'warn'];
const RUN_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log'];

export interface NodeTelemetry {
  /** The logger of NestFactory.create. */
  readonly bootLogger: LoggerService | LogLevel[] | false;
  /** The logger once the application is built (Logger.overrideLogger). */
  readonly runLogger: LoggerService | LogLevel[] | false;
  /**
   * Instruments the built application, before any other middleware: the HTTP SERVER span of every request (when a
   * tracer provider is registered), and this node's gauges (when a meter provider is registered), unregistered when
   * the node's HTTP server closes.
   */
  instrument(app: INestApplication): void;
}

/**
 * The node's part of telemetry (spec/telemetry.md), for startNode: the log format (CORRIDOR_LOG_FORMAT; a logger
 * given by the caller wins) and the instrumentation of the application. Exporting is the process's business
 * (startTelemetry, main.ts): without a registered SDK nothing here costs more than a no-op call.
 */
export function nodeTelemetry(config: NodeConfig, nodeDid: string, given: LoggerService | false | undefined): NodeTelemetry {
  const json = given === undefined && config.logFormat === 'json';
  return {
    bootLogger: given ?? (json ? new JsonLogger(BOOT_LEVELS) : ['error', 'warn']),
    runLogger: given ?? (json ? new JsonLogger(RUN_LEVELS) : ['error', 'warn', 'log']),
    instrument(app: INestApplication): void {
      const tracing = tracingRegistered();
      const subscriptions = metricsRegistered() ? new SubscriptionRegistry() : undefined;
      if (tracing || subscriptions) app.use(httpTelemetry({ nodeDid, jurisdiction: config.jurisdiction, tracing, subscriptions }));
      if (subscriptions) {
        const log = new Logger('Telemetry');
        const unregister = registerNodeGauges(app, nodeDid, subscriptions, (m) => log.debug(m));
        app.getHttpServer().once('close', unregister);
      }
    },
  };
}
