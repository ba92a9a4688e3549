import { ConfigError, loadConfig } from './config/node-config';
import { startNode } from './bootstrap';

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
  const node = await startNode(config);
  const stop = (signal: string) => {
    process.stderr.write(`corridor node: ${signal} received, shutting down\n`);
    node.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  run().catch((e) => {
    process.stderr.write(`corridor node: failed to start: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
