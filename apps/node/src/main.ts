import { ConfigError, loadConfig } from './config/node-config';
import { startNode } from './bootstrap';
import { startTelemetry } from './telemetry/sdk';

export { startNode } from './bootstrap';
export { loadConfig, NodeConfig } from './config/node-config';

/** `node apps/node/dist/main.js` (npm start): configuration from the environment, see the README. */
async function run(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`corridor node: ${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  // Telemetry (spec/telemetry.md): the OpenTelemetry SDK with OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set,
  // started before the node so that it finds the providers; flushed after the node stopped.
  const telemetry = await startTelemetry(config);
  const node = await startNode(config);
  const closeNode = () => node.close().finally(() => telemetry.shutdown().catch(() => undefined));
  const bound = config.shutdownTimeoutMs;
  let stopping = false;
  // SIGTERM (orchestrators) and SIGINT (a terminal): the graceful shutdown of spec/operations.md §2, exit 0 when it
  // completes; past the bound the process exits anyway (1). A second SIGINT exits at once (130); a second SIGTERM
  // changes nothing (the bound still holds).
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      if (signal === 'SIGINT') {
        process.stderr.write('corridor node: second SIGINT, exiting now\n');
        process.exit(130);
      }
      return;
    }
    stopping = true;
    process.stderr.write(`corridor node: ${signal} received, shutting down (at most ${bound} ms)\n`);
    const forced = setTimeout(() => {
      process.stderr.write(`corridor node: shutdown did not finish within ${bound} ms (CORRIDOR_SHUTDOWN_TIMEOUT_MS); exiting anyway\n`);
      process.exit(1);
    }, bound);
    closeNode().then(
      () => {
        clearTimeout(forced);
        process.stderr.write('corridor node: stopped\n');
        process.exit(0);
      },
      (e: unknown) => {
        process.stderr.write(`corridor node: shutdown failed: ${(e as Error)?.stack ?? String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  run().catch((e) => {
    process.stderr.write(`corridor node: failed to start: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
