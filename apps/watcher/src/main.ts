import { loadWatcherConfig, WatcherConfigError } from './config';
import { startWatcher } from './watcher';

export * from './index';

/**
 * `node apps/watcher/dist/main.js`: the watcher daemon, configured from the environment (spec/watcher.md).
 * A bad setting stops it before anything starts, with a message naming the variable (exit 78).
 */
async function run(): Promise<void> {
  let config;
  try {
    config = loadWatcherConfig(process.env);
  } catch (e) {
    if (e instanceof WatcherConfigError) {
      process.stderr.write(`corridor watcher: configuration: ${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  const watcher = await startWatcher(config);
  const stop = (signal: string) => {
    process.stderr.write(`corridor watcher: ${signal} received, shutting down\n`);
    watcher.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

if (require.main === module) {
  run().catch((e) => {
    process.stderr.write(`corridor watcher: failed to start: ${(e as Error).message}\n`);
    process.exit(1);
  });
}
