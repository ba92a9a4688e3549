import * as path from 'node:path';
import { Worker } from 'node:worker_threads';

/** `libs/ledger/worker`, from `src/util` and from `dist/util` alike. */
export const WORKER_DIR = path.resolve(__dirname, '..', '..', 'worker');

/**
 * Starts one of the ledger's worker threads (`worker/<file>`). `modules` are the paths the worker will `require`;
 * when the ledger runs from its TypeScript sources (tests, development) they are `.ts` files, and the worker
 * gets the development loader that compiles them on load, as jest does.
 */
export function startLedgerWorker(file: string, workerData: Record<string, unknown>, modules: readonly string[]): Worker {
  const fromSources = modules.some((m) => m.endsWith('.ts'));
  const execArgv = fromSources ? ['-r', path.join(WORKER_DIR, 'ts-register.js')] : [];
  return new Worker(path.join(WORKER_DIR, file), { workerData, execArgv });
}
