import { isJsonObject, parseJsonText, type JsonObject, type JsonValue } from '@corridor/protocol';
import { Backoff } from './backoff';
import type { CorridorWatch } from './corridor-watch';
import { describeAnswer, NodeUnreachableError, type NodeClient } from './net/node-client';
import { openSseStream, type SseEvent, type SseStream } from './net/sse';
import { verifyCheckpointAgainstHead, verifyCheckpointBelowHead, type CheckpointOutcome } from './verify/checkpoint-verifier';
import { signerPolicy, type SignerPolicy } from './verify/proofs';
import { ChainVerifier, verifyStandaloneReceipt, type ReceiptOutcome } from './verify/receipt-verifier';

/** Where a subscription stands (health reports it). */
export type SubscriptionState =
  /** Not started, or between attempts. */
  | 'connecting'
  /** The SSE stream is open. */
  | 'connected'
  /** The node knows the corridor but there is nothing to follow yet (not ACTIVE, or no receipt yet). */
  | 'waiting'
  /** The node does not serve the corridor (404). */
  | 'not-served'
  /** The node served something that failed verification; retried after back-off. */
  | 'rejected'
  /** The node's chain diverged from the one the watcher verified: a fork alarm was raised (or is being looked for). */
  | 'diverged'
  | 'stopped';

/** A node, shared by its subscriptions: its client and its did:key (from `GET /node`). */
export interface NodeHandle {
  url: string;
  client: NodeClient;
  did: string | null;
}

/**
 * One (node, corridor) pair: follows the node's SSE stream of the corridor's state channel from the durable cursor,
 * verifies every receipt, stages it for durable storage, checks checkpoints against the verified chain and hands
 * them to the corridor for attestation.
 */
export class Subscription {
  state: SubscriptionState = 'connecting';
  /** A standing problem with what this node served (cleared by the next good receipt or checkpoint). */
  problem: string | null = null;
  nodeHead: number | null = null;
  lastEventAt: number | null = null;
  verifier: ChainVerifier | null = null;
  private stream: SseStream | null = null;
  private readonly backoff: Backoff;
  private stopped = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private pendingCheckpoint: JsonObject | null = null;
  private checkpointBusy = false;
  private lastCheckpointPolledAt = -1;
  private loop: Promise<void> | null = null;
  /** A comparison of this node's chain with the verified one in progress: no reconnect until it concludes. */
  private investigation: Promise<void> | null = null;
  /** The head at which the node was last found behind the verified chain (compared once per head). */
  private behindAt: number | null = null;

  constructor(
    readonly node: NodeHandle,
    readonly corridor: CorridorWatch,
  ) {
    this.backoff = new Backoff(corridor.ctx.config.minBackoffMs, corridor.ctx.config.maxBackoffMs);
    const cursor = corridor.ctx.store.cursor(node.url, corridor.id);
    if (cursor && corridor.signers) this.verifier = new ChainVerifier(corridor.facts, corridor.signers, cursor);
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Sequence of the last verified receipt (-1: none). */
  get verifiedHead(): number {
    return this.verifier ? this.verifier.sequence : -1;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
    this.pollTimer = setInterval(() => this.poll(), this.corridor.ctx.config.pollIntervalMs);
    this.pollTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.closeStream();
    this.wake?.();
    await this.loop;
  }

  /** Stops following this node for good (its chain diverged; the alarm is raised). */
  diverge(detail: string): void {
    this.state = 'diverged';
    this.problem = detail;
    this.closeStream();
  }

  private log(event: string, fields: Record<string, unknown> = {}): void {
    this.corridor.ctx.log({ event, node: this.node.url, corridor: this.corridor.id, ...fields });
  }

  /** Compares this node's chain with the verified one (at most one at a time); reconnects wait for it. */
  investigate(hi: number, why: string): void {
    if (this.investigation) return;
    const corridor = this.corridor;
    corridor.track(async () => {
      const p = corridor.investigate(this, hi, why);
      this.investigation = p;
      try {
        await p;
      } finally {
        this.investigation = null;
      }
    });
  }

  /** Stopped, or following this node is over (its chain diverged). */
  private get finished(): boolean {
    return this.stopped || this.state === 'diverged';
  }

  private async run(): Promise<void> {
    while (!this.finished) {
      if (this.investigation) await this.investigation.catch(() => {});
      if (this.finished) break;
      let delay: number;
      try {
        delay = await this.attempt();
      } catch (e) {
        const message = e instanceof NodeUnreachableError ? `unreachable: ${e.message}` : (e as Error).message;
        if (!this.finished && this.state !== 'rejected') this.state = 'connecting';
        if (this.state === 'connecting') this.problem = message;
        this.log('subscription-error', { error: message });
        delay = this.backoff.next();
      }
      if (this.finished) break;
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  /** One connection attempt; resolves with the delay before the next one. */
  private async attempt(): Promise<number> {
    const ready = await this.prepare();
    if (ready !== null) return ready;
    const closed = await this.follow();
    if (this.finished) return 0;
    if (this.state === 'connected') this.state = 'connecting';
    if (closed.status === 404) {
      // The state channel has no receipt yet (or the corridor went away): back to reading the view.
      this.state = 'waiting';
      this.problem = null;
      return this.corridor.ctx.config.pollIntervalMs;
    }
    if (closed.status !== undefined) this.problem = `stream answered ${closed.status}${closed.body ? `: ${closed.body.slice(0, 300)}` : ''}`;
    else if (this.state !== 'rejected') this.problem = closed.error ? `stream closed: ${closed.error.message}` : null;
    this.log('stream-closed', { reason: this.problem });
    return this.backoff.next();
  }

  /**
   * Reads the node's identity and the corridor view; pins the corridor's signer set on first sight (and refuses a
   * node that reports another). Returns null when the stream can be opened, else the delay before trying again.
   */
  private async prepare(): Promise<number | null> {
    // The node's did (a node restarted with a rotated key has another one).
    const a = await this.node.client.get('/node');
    const did = isJsonObject(a.json) && typeof a.json.did === 'string' ? a.json.did : null;
    if (a.status !== 200 || did === null) throw new Error(`GET /node: ${describeAnswer(a)}`);
    this.node.did = did;
    const before = this.verifiedHead;
    const view = await this.readView();
    if (view === 'not-served') {
      this.state = 'not-served';
      this.problem = null;
      return Math.max(this.backoff.next(), this.corridor.ctx.config.pollIntervalMs);
    }
    if (view === 'waiting') {
      this.state = 'waiting';
      this.problem = null;
      return this.corridor.ctx.config.pollIntervalMs;
    }
    if (view.empty && (this.verifier === null || this.verifier.sequence < 0)) {
      // Active, but no receipt yet: the node has no stream to open. Look again soon.
      this.state = 'waiting';
      this.problem = null;
      await this.corridor.pinSigners(view.policy, this);
      return this.corridor.ctx.config.pollIntervalMs;
    }
    const policy = view.policy;
    const pinned = await this.corridor.pinSigners(policy, this);
    if (pinned !== null) {
      this.state = 'rejected';
      this.problem = pinned;
      this.log('subscription-rejected', { check: 'signer-set-mismatch', detail: pinned });
      return this.backoff.next();
    }
    if (view.genesisRoot !== null && this.corridor.facts.genesisRoot !== null && view.genesisRoot !== this.corridor.facts.genesisRoot) {
      this.state = 'rejected';
      this.problem = `genesis-mismatch: the node reports genesis root ${view.genesisRoot}, the corridor's is ${this.corridor.facts.genesisRoot}`;
      return this.backoff.next();
    }
    if (!this.verifier) this.verifier = new ChainVerifier(this.corridor.facts, this.corridor.signers!, this.corridor.ctx.store.cursor(this.node.url, this.corridor.id));
    this.observeHead(view.head, Math.max(before, this.verifiedHead));
    return null;
  }

  /**
   * The node's head from its view, read after the watcher had verified `before` from it. Below that, the node lost
   * receipts or rewrote its history: its chain is compared with the verified one.
   */
  private observeHead(head: number, before: number): void {
    if (head < before) {
      this.nodeHead = head;
      if (head !== this.behindAt) this.investigate(head, `the node's head ${head} is behind the watcher's verified head ${before}`);
      this.behindAt = head;
    } else {
      this.nodeHead = Math.max(head, this.nodeHead ?? -1, this.verifiedHead);
      this.behindAt = null;
    }
  }

  /** `GET /corridors/{id}`: the signer policy, genesis root and head, or why there is nothing to follow. */
  async readView(): Promise<{ policy: SignerPolicy; genesisRoot: string | null; empty: boolean; head: number } | 'not-served' | 'waiting'> {
    const a = await this.node.client.get(`/corridors/${encodeURIComponent(this.corridor.id)}`);
    if (a.status === 404) return 'not-served';
    if (a.status !== 200 || !isJsonObject(a.json)) throw new Error(`GET corridor view: ${describeAnswer(a)}`);
    const v = a.json;
    const sc = v.state_channel;
    if (!isJsonObject(sc)) return 'waiting';
    const head = isJsonObject(sc.head) ? sc.head : null;
    const headSequence = head && typeof head.sequence === 'number' ? head.sequence : -1;
    const genesisRoot = typeof sc.genesis_root === 'string' ? sc.genesis_root : null;
    const peering = v.peering;
    let policy: SignerPolicy;
    if (isJsonObject(peering)) {
      const signers = Array.isArray(peering.signers) ? peering.signers.filter((s): s is string => typeof s === 'string') : [];
      if (typeof peering.sequencer !== 'string' || signers.length === 0) throw new Error('corridor view: peering without sequencer or signers');
      policy = signerPolicy(peering.sequencer, signers, true);
    } else {
      policy = signerPolicy(this.node.did!, [this.node.did!], false);
    }
    return { policy, genesisRoot, empty: headSequence < 0, head: headSequence };
  }

  /** Opens the stream from the cursor and resolves when it closes. */
  private follow(): Promise<{ error?: Error; status?: number; body?: string }> {
    const from = this.verifier!.sequence;
    const path = `/corridors/${encodeURIComponent(this.corridor.id)}/stream${from >= 0 ? `?after=${from}` : ''}`;
    return new Promise((resolve) => {
      this.stream = openSseStream({
        url: this.node.client.url(path),
        headers: { ...(from >= 0 ? { 'last-event-id': String(from) } : {}), ...this.node.client.authorization('GET', path) },
        onOpen: () => {
          this.state = 'connected';
          this.problem = null;
          this.backoff.reset();
          this.touch();
          this.log('stream-open', { after: from });
        },
        onActivity: () => this.touch(),
        onEvent: (e) => this.onEvent(e),
        onClose: (reason) => {
          this.stream = null;
          if (this.idleTimer) clearTimeout(this.idleTimer);
          this.idleTimer = null;
          resolve(reason);
        },
      });
    });
  }

  private closeStream(): void {
    this.stream?.close();
    this.stream = null;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private touch(): void {
    this.lastEventAt = Date.now();
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.idleTimer = setTimeout(() => {
        this.log('stream-idle', { idle_ms: this.corridor.ctx.config.streamIdleMs });
        this.closeStream();
        this.wake?.();
      }, this.corridor.ctx.config.streamIdleMs);
      this.idleTimer.unref();
    }
  }

  private onEvent(e: SseEvent): void {
    if (this.stopped || this.state === 'diverged') return;
    if (e.event === 'receipt') this.onReceipt(e.data);
    else if (e.event === 'checkpoint') this.onCheckpointText(e.data);
  }

  /** The hot path: verify, compare with what other nodes served, stage for durable storage. */
  onReceipt(text: string): void {
    const verifier = this.verifier!;
    const outcome = verifier.verifyNext(text);
    if (!outcome.ok) {
      this.onRejected(outcome, text);
      return;
    }
    const r = outcome.receipt;
    const corridor = this.corridor;
    const store = corridor.ctx.store;
    if (r.sequence <= corridor.maxSequence) {
      const held = store.receiptRoots(corridor.id, r.sequence);
      if (held && held.next_root !== r.nextRoot) {
        // Another node served another receipt at this (sequence, prev_root): both verified, both genuine.
        this.diverge(`fork at receipt ${r.sequence}: this node serves next_root ${r.nextRoot}, another served ${held.next_root}`);
        corridor.raiseForkAlarm(r.sequence, 'nodes-disagree', { body: store.receipt(corridor.id, r.sequence)!.body, source: store.receipt(corridor.id, r.sequence)!.source }, { body: r.canonical, source: this.node.url });
        return;
      }
    } else {
      store.stageReceipt(corridor.id, { sequence: r.sequence, prev_root: r.prevRoot, next_root: r.nextRoot, source: this.node.url, body: r.canonical });
      corridor.maxSequence = r.sequence;
    }
    const pinGenesis = r.sequence === 0 && corridor.facts.genesisRoot === null;
    verifier.commit(r);
    if (pinGenesis) corridor.persistFacts();
    store.stageCursor(this.node.url, corridor.id, () => verifier.head());
    corridor.ctx.staged();
    if (this.problem !== null && this.state === 'connected') this.problem = null;
    if (this.nodeHead === null || r.sequence > this.nodeHead) this.nodeHead = r.sequence;
    const pending = this.pendingCheckpoint;
    if (pending !== null && (pending.receipt_count as number) === verifier.size) {
      this.pendingCheckpoint = null;
      this.onCheckpoint(pending);
    }
  }

  private onRejected(outcome: Extract<ReceiptOutcome, { ok: false }>, text: string): void {
    const corridor = this.corridor;
    const store = corridor.ctx.store;
    if (outcome.check === 'rewind' && outcome.sequence !== undefined) {
      // A receipt the watcher verified before, served again: the same one is harmless; another one is a fork.
      const held = store.receipt(corridor.id, outcome.sequence);
      if (held && held.next_root === outcome.nextRoot) return;
      const standalone = verifyStandaloneReceipt(text, corridor.facts, corridor.signers!);
      if (held && standalone.ok && held.prev_root === standalone.receipt.prevRoot) {
        this.diverge(`the node served another receipt ${outcome.sequence} than the one verified before`);
        corridor.raiseForkAlarm(outcome.sequence, 'node-rewrote-receipt', { body: held.body, source: held.source }, { body: standalone.receipt.canonical, source: this.node.url });
        return;
      }
      this.reject(standalone.ok ? { check: 'rewind', detail: outcome.detail } : standalone);
      return;
    }
    if (outcome.check === 'prev-root-mismatch' && outcome.sequence !== undefined) {
      this.state = 'rejected';
      this.problem = `${outcome.check}: ${outcome.detail}`;
      this.closeStream();
      const hi = outcome.sequence - 1;
      this.investigate(hi, outcome.detail);
      return;
    }
    this.reject(outcome);
  }

  private reject(outcome: { check: string; detail: string }): void {
    this.state = 'rejected';
    this.problem = `${outcome.check}: ${outcome.detail}`;
    this.log('receipt-rejected', { check: outcome.check, detail: outcome.detail });
    this.closeStream();
  }

  private onCheckpointText(text: string): void {
    let ck: JsonValue;
    try {
      ck = parseJsonText(text);
    } catch (e) {
      this.problem = `checkpoint: not JSON: ${(e as Error).message}`;
      return;
    }
    if (!isJsonObject(ck) || typeof ck.receipt_count !== 'number') {
      this.problem = 'checkpoint: not a checkpoint object';
      return;
    }
    this.onCheckpoint(ck);
  }

  /** A checkpoint from this node: checked against the chain verified from this node, then offered for attestation. */
  onCheckpoint(ck: JsonObject): void {
    const verifier = this.verifier;
    if (!verifier || this.state === 'diverged') return;
    const size = ck.receipt_count as number;
    if (!Number.isSafeInteger(size) || size < 1) {
      this.problem = 'checkpoint: receipt_count must be a positive integer';
      return;
    }
    if (this.nodeHead === null || size - 1 > this.nodeHead) this.nodeHead = size - 1;
    if (size > verifier.size) {
      // Ahead of what was verified: checked once the receipts up to it are.
      if (this.pendingCheckpoint === null || (this.pendingCheckpoint.receipt_count as number) < size) this.pendingCheckpoint = ck;
      return;
    }
    if (size === verifier.size) {
      const outcome = verifyCheckpointAgainstHead(ck, this.corridor.facts, this.corridor.signers!.checkpointSigners(size), {
        size,
        finalStateRoot: verifier.nextRoot!,
        mmrRoot: verifier.mmrRoot,
        mmrPeaks: verifier.head().mmrPeaks,
      });
      this.checkpointVerified(ck, outcome);
      return;
    }
    if (this.corridor.attestedSize() >= size) return; // nothing new to attest at that height
    this.corridor.track(() => this.checkOlderCheckpoint(ck, size));
  }

  /** A checkpoint below the verified head: a consistency proof from its size to the head decides. */
  private async checkOlderCheckpoint(ck: JsonObject, size: number): Promise<void> {
    const verifier = this.verifier!;
    const head = { size: verifier.size, mmrRoot: verifier.mmrRoot };
    const held = this.corridor.ctx.store.receiptRoots(this.corridor.id, size - 1);
    if (!held) return;
    try {
      const a = await this.node.client.get(`/corridors/${encodeURIComponent(this.corridor.id)}/consistency?from=${size}&to=${head.size}`);
      if (a.status !== 200) {
        this.problem = `checkpoint ${size}: consistency ${size}→${head.size}: ${describeAnswer(a)}`;
        return;
      }
      if (this.corridor.isClosed) return;
      const outcome = verifyCheckpointBelowHead(ck, this.corridor.facts, this.corridor.signers!.checkpointSigners(size), held.next_root, head, a.json);
      this.checkpointVerified(ck, outcome);
    } catch (e) {
      this.problem = `checkpoint ${size}: ${(e as Error).message}`;
    }
  }

  private checkpointVerified(ck: JsonObject, outcome: CheckpointOutcome): void {
    if (outcome.ok) {
      if (this.problem?.startsWith('checkpoint')) this.problem = null;
      this.corridor.offerCheckpoint(this, ck, outcome);
      return;
    }
    const size = ck.receipt_count as number;
    this.problem = `checkpoint ${size}: ${outcome.check}: ${outcome.detail}`;
    this.log('checkpoint-rejected', { size, check: outcome.check, detail: outcome.detail });
    if (outcome.check === 'final-state-root-mismatch' || outcome.check === 'mmr-root-mismatch' || outcome.check === 'mmr-peaks-mismatch' || outcome.check === 'consistency-failed') {
      // The node signed a head that is not the chain it served: find the receipt it rewrote.
      this.investigate(size - 1, outcome.detail);
    }
  }

  /**
   * Periodic: refresh the node's head from the corridor view and, when the watcher is caught up with the node and
   * has not attested this height, ask for the checkpoint (in case the stream sent none).
   */
  private poll(): void {
    if (this.stopped || this.state !== 'connected' || this.checkpointBusy) return;
    this.checkpointBusy = true;
    this.corridor.track(async () => {
      try {
        const before = this.verifiedHead;
        const view = await this.readView();
        if (this.stopped || view === 'not-served' || view === 'waiting') return;
        const v = this.verifier;
        if (!v || v.size === 0) return;
        this.observeHead(view.head, before);
        if (view.head < before) return;
        if (this.nodeHead === v.sequence && this.corridor.attestedSize() < v.size && this.lastCheckpointPolledAt !== v.size) {
          this.lastCheckpointPolledAt = v.size;
          const a = await this.node.client.get(`/corridors/${encodeURIComponent(this.corridor.id)}/checkpoint`);
          if (this.stopped) return;
          if (a.status === 200 && isJsonObject(a.json)) this.onCheckpoint(a.json);
        }
        this.corridor.retryDeliveries(this.node.url);
      } catch {
        // the stream's own error handling reports an unreachable node
      } finally {
        this.checkpointBusy = false;
      }
    });
  }
}
