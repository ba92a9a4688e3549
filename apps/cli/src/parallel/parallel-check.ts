import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkReceiptSources, sortByPath, type ChainExpectations, type ChainOptions, type CheckedReceipts, type ReceiptSource } from '@corridor/protocol';

/** Below this many receipts, starting threads costs more than it saves. */
export const PARALLEL_THRESHOLD = 2000;

/**
 * Runs the per-receipt phase of chain verification (parse, schema, next_root, digest sets, signatures — the
 * expensive part) on every core. Receipts are independent at this stage, so slices are checked separately and
 * concatenated in path order: the result is identical to the sequential one, only sooner.
 */
export async function checkReceiptsInParallel(
  expected: ChainExpectations,
  receipts: readonly ReceiptSource[],
  options: ChainOptions,
  threads = availableParallelism(),
): Promise<CheckedReceipts> {
  const workerFile = compiledWorkerFile();
  if (threads < 2 || receipts.length < PARALLEL_THRESHOLD || !workerFile) return checkReceiptSources(expected, receipts, options);
  const sorted = sortByPath(receipts);
  const size = Math.ceil(sorted.length / threads);
  // Only what the per-receipt phase reads crosses the thread boundary (functions and fork resolutions do not).
  const workerOptions: ChainOptions = { checkCanonicalBytes: options.checkCanonicalBytes, enforceTrustAnchors: options.enforceTrustAnchors, enforceTransitionTypes: options.enforceTransitionTypes };
  const slices = Array.from({ length: threads }, (_, i) => sorted.slice(i * size, (i + 1) * size)).filter((s) => s.length > 0);
  const results = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<CheckedReceipts>((resolve, reject) => {
          const worker = new Worker(workerFile, { workerData: { expected, receipts: slice, options: workerOptions } });
          worker.once('message', resolve);
          worker.once('error', reject);
          worker.once('exit', (code) => code !== 0 && reject(new Error(`receipt check worker exited with ${code}`)));
        }),
    ),
  );
  return { rows: results.flatMap((r) => r.rows), errors: results.flatMap((r) => r.errors) };
}

/** The worker runs compiled JavaScript; from TypeScript sources (tests) the sequential path is used. */
function compiledWorkerFile(): string | undefined {
  const file = join(__dirname, 'receipt-check-worker.js');
  return existsSync(file) ? file : undefined;
}
