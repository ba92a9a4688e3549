import { parentPort, workerData } from 'node:worker_threads';
import { checkReceiptSources, type ChainExpectations, type ChainOptions, type ReceiptSource } from '@corridor/protocol';

/** Worker side of `checkReceiptsInParallel`: the per-receipt checks for one contiguous slice of receipts. */
const { expected, receipts, options } = workerData as { expected: ChainExpectations; receipts: ReceiptSource[]; options: ChainOptions };
parentPort!.postMessage(checkReceiptSources(expected, receipts, options));
