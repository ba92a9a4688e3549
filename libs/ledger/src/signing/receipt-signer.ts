import type { Worker } from 'node:worker_threads';
import { addProof, canonicalize, type Ed25519KeyPair, type JsonObject } from '@corridor/protocol';
import { startLedgerWorker } from '../util/ledger-worker';

/** A sealed receipt signed by the node: the receipt with its proof, and its canonical JSON text. */
export interface SignedReceiptText {
  readonly receipt: JsonObject;
  readonly text: string;
}

/**
 * Signs sealed receipts with the node's key (`addProof` of the protocol) and returns their canonical text.
 * `created[i]` is the proof's `created` for `receipts[i]`.
 */
export interface ReceiptSigner {
  readonly verificationMethod: string;
  /** How many `sign` calls it takes at the same time (worker threads, plus what it queues); default 1. */
  readonly parallelism?: number;
  sign(receipts: readonly JsonObject[], created: readonly string[]): Promise<SignedReceiptText[]>;
  close(): Promise<void>;
}

/** Signs on the calling thread. */
export class InlineReceiptSigner implements ReceiptSigner {
  readonly verificationMethod: string;

  constructor(
    private readonly key: Ed25519KeyPair,
    verificationMethod?: string,
  ) {
    this.verificationMethod = verificationMethod ?? key.verificationMethod;
  }

  async sign(receipts: readonly JsonObject[], created: readonly string[]): Promise<SignedReceiptText[]> {
    return receipts.map((r, i) => {
      const receipt = addProof(r, this.key, { created: created[i], verificationMethod: this.verificationMethod });
      return { receipt, text: canonicalize(receipt) };
    });
  }

  async close(): Promise<void> {}
}

interface WorkerReply {
  id: number;
  results?: { proof: JsonObject; text: string }[];
  error?: string;
}

interface SigningWorker {
  worker: Worker;
  pending: Map<number, { resolve: (r: { proof: JsonObject; text: string }[]) => void; reject: (e: Error) => void }>;
  load: number;
}

export interface WorkerPoolSignerOptions {
  /** Number of worker threads; default 1. */
  readonly workers?: number;
  readonly verificationMethod?: string;
  /** Batches smaller than this are not split between workers. Default 32. */
  readonly minChunk?: number;
  /**
   * Fewer receipts than this in one turn of the event loop are signed on the calling thread (default 8; 0 never).
   * Handing a receipt to a worker (a structured clone each way, a thread wake-up) costs about as much as signing it,
   * so the workers pay only when batches are large (high load); at moderate load the hop is pure latency and CPU.
   */
  readonly inlineBelow?: number;
}

/**
 * Signs in worker threads, so the event loop keeps building receipts (and committing) while signatures are
 * computed: Ed25519 signing and the canonical serialisation of the signed receipt are the most expensive steps
 * of an append. Batches are split across the workers; results come back in order. Small batches (`inlineBelow`)
 * are signed on the calling thread: there the hop costs more than it saves.
 */
export class WorkerPoolReceiptSigner implements ReceiptSigner {
  readonly verificationMethod: string;
  readonly parallelism: number;
  private readonly workers: SigningWorker[];
  private readonly minChunk: number;
  private readonly inlineBelow: number;
  private readonly inline: InlineReceiptSigner;
  private nextId = 1;
  private closed = false;
  private queued: {
    receipts: readonly JsonObject[];
    created: readonly string[];
    resolve: (r: SignedReceiptText[]) => void;
    reject: (e: unknown) => void;
  }[] = [];

  constructor(key: Ed25519KeyPair, options: WorkerPoolSignerOptions = {}) {
    this.verificationMethod = options.verificationMethod ?? key.verificationMethod;
    this.minChunk = options.minChunk ?? 32;
    this.inlineBelow = options.inlineBelow ?? 8;
    this.inline = new InlineReceiptSigner(key, this.verificationMethod);
    const count = Math.max(1, options.workers ?? 1);
    // One batch queued behind each busy worker, so a worker never waits for the event loop to build the next.
    this.parallelism = count + 1;
    const protocolEntry = require.resolve('@corridor/protocol');
    const workerData = { protocolEntry, jwk: key.toJwk({ includePrivate: true }), verificationMethod: this.verificationMethod };
    this.workers = Array.from({ length: count }, () => {
      const w: SigningWorker = { worker: startLedgerWorker('receipt-signer.worker.js', workerData, [protocolEntry]), pending: new Map(), load: 0 };
      w.worker.on('message', (reply: WorkerReply) => {
        const p = w.pending.get(reply.id);
        if (!p) return;
        w.pending.delete(reply.id);
        if (reply.error !== undefined || !reply.results) p.reject(new Error(`signing worker: ${reply.error ?? 'no result'}`));
        else p.resolve(reply.results);
      });
      const failAll = (e: Error) => {
        for (const p of w.pending.values()) p.reject(e);
        w.pending.clear();
      };
      w.worker.on('error', (e) => failAll(e));
      w.worker.on('exit', (code) => failAll(new Error(`signing worker exited with code ${code}`)));
      w.worker.unref();
      return w;
    });
  }

  /**
   * Queues the receipts; everything queued in the same turn of the event loop (e.g. the batches of many streams
   * woken by one commit) travels to the workers together, split into one message per worker.
   */
  sign(receipts: readonly JsonObject[], created: readonly string[]): Promise<SignedReceiptText[]> {
    if (this.closed) return Promise.reject(new Error('the signer is closed'));
    if (receipts.length === 0) return Promise.resolve([]);
    return new Promise<SignedReceiptText[]>((resolve, reject) => {
      this.queued.push({ receipts, created, resolve, reject });
      if (this.queued.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const calls = this.queued.splice(0);
    if (this.closed) {
      for (const call of calls) call.reject(new Error('the signer is closed'));
      return;
    }
    if (calls.reduce((n, c) => n + c.receipts.length, 0) < this.inlineBelow) {
      for (const call of calls) this.inline.sign(call.receipts, call.created).then(call.resolve, call.reject);
      return;
    }
    const receipts = calls.flatMap((c) => c.receipts);
    const created = calls.flatMap((c) => c.created);
    try {
      const chunks = Math.max(1, Math.min(this.workers.length, Math.floor(receipts.length / this.minChunk)));
      const size = Math.ceil(receipts.length / chunks);
      const parts: Promise<{ proof: JsonObject; text: string }[]>[] = [];
      for (let start = 0; start < receipts.length; start += size) {
        parts.push(this.dispatch(receipts.slice(start, start + size), created.slice(start, start + size)));
      }
      const results = (await Promise.all(parts)).flat();
      let k = 0;
      for (const call of calls) {
        call.resolve(call.receipts.map((r) => {
          const signed = results[k++]!;
          return { receipt: { ...r, proof: signed.proof }, text: signed.text };
        }));
      }
    } catch (e) {
      for (const call of calls) call.reject(e);
    }
  }

  private dispatch(receipts: JsonObject[], created: string[]): Promise<{ proof: JsonObject; text: string }[]> {
    const w = this.workers.reduce((a, b) => (b.load < a.load ? b : a));
    const id = this.nextId++;
    // An idle worker does not keep the process alive; a worker with work in hand must.
    if (w.load === 0) w.worker.ref();
    w.load += receipts.length;
    return new Promise<{ proof: JsonObject; text: string }[]>((resolve, reject) => {
      w.pending.set(id, { resolve, reject });
      w.worker.postMessage({ id, receipts, created });
    }).finally(() => {
      w.load -= receipts.length;
      if (w.load === 0) w.worker.unref();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}
