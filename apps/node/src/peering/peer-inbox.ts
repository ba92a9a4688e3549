/**
 * Inbound peer messages, micro-batched per corridor (spec/peering-transports.md §Batching).
 *
 * A transport hands over messages one call at a time, but often many at once (an HTTP batch, a Kafka fetch). Each
 * call joins its corridor's inbox and gets a promise; one drain per corridor at a time takes everything waiting (up to
 * `maxPerDrain`) in arrival order and lets the owner work through it as a whole — a run of receipts becomes one
 * append with one commit, a run of co-signatures one transaction. Each caller's promise settles when the drain that
 * took its message did: resolved once the effect is durable, rejected (so the transport redelivers) otherwise.
 *
 * Invariant: a corridor has an inbox in the map exactly while a drain for it is scheduled or running.
 */
export interface InboxEntry<M> {
  readonly message: M;
  /** Settles this entry's caller. Called once, by the owner's drain (or by the inbox if the drain threw). */
  resolve(): void;
  reject(error: unknown): void;
  settled: boolean;
}

export type DrainFn<M> = (corridorId: string, entries: readonly InboxEntry<M>[]) => Promise<void>;

export class PeerInbox<M> {
  private readonly inboxes = new Map<string, InboxEntry<M>[]>();

  /**
   * @param schedule runs a drain for the corridor (the owner's per-corridor lane, so drains never overlap with other
   *   work on the same chain).
   */
  constructor(
    private readonly drain: DrainFn<M>,
    private readonly schedule: (corridorId: string, work: () => Promise<void>) => void,
    private readonly maxPerDrain = 1000,
  ) {}

  /** Queues a message; the promise settles when a drain took it and its effect is durable (or it was refused). */
  put(corridorId: string, message: M): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: InboxEntry<M> = {
        message,
        settled: false,
        resolve: () => {
          if (entry.settled) return;
          entry.settled = true;
          resolve();
        },
        reject: (e) => {
          if (entry.settled) return;
          entry.settled = true;
          reject(e);
        },
      };
      let inbox = this.inboxes.get(corridorId);
      if (!inbox) {
        inbox = [];
        this.inboxes.set(corridorId, inbox);
        this.schedule(corridorId, () => this.run(corridorId));
      }
      inbox.push(entry);
    });
  }

  /** Messages waiting, all corridors. */
  get waiting(): number {
    let n = 0;
    for (const inbox of this.inboxes.values()) n += inbox.length;
    return n;
  }

  private async run(corridorId: string): Promise<void> {
    const inbox = this.inboxes.get(corridorId);
    if (!inbox) return;
    const entries = inbox.splice(0, this.maxPerDrain);
    // More than one drain's worth: the rest goes in the next drain, which also takes whatever arrives meanwhile.
    if (inbox.length > 0) this.schedule(corridorId, () => this.run(corridorId));
    else this.inboxes.delete(corridorId);
    try {
      await this.drain(corridorId, entries);
    } catch (e) {
      for (const entry of entries) entry.reject(e);
      return;
    }
    // A drain that forgot an entry must not leave its caller waiting forever.
    for (const entry of entries) entry.resolve();
  }
}
