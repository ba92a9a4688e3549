import { comparePositions, type AllFilter, type EventStore, type GlobalPosition, type StoredEvent } from '../port/event-store.port';
import { Latch } from '../util/wakeup';

/**
 * A consumer of the global log that owns its checkpoint. `handle` must apply the event to the consumer's
 * own store AND record `event.position` as its checkpoint in one transaction; `loadCheckpoint` reads it
 * back. That is what makes a restarted consumer resume exactly after its last processed event.
 */
export interface CheckpointedConsumer {
  readonly name: string;
  loadCheckpoint(): Promise<GlobalPosition | undefined> | GlobalPosition | undefined;
  handle(event: StoredEvent): Promise<void> | void;
}

export interface CatchUpOptions {
  readonly filter?: AllFilter;
}

export interface RunningSubscription {
  /** Resolves once the history that existed at start has been processed. */
  readonly caughtUp: Promise<void>;
  /** Settles when the subscription ends: resolves after `stop()`, rejects with the consumer's error. */
  readonly done: Promise<void>;
  /** Position of the last event this subscription has handed to the consumer successfully. */
  readonly position: GlobalPosition | undefined;
  /** Resolves when an event at or after `position` has been processed (or rejects if the subscription fails). */
  waitFor(position: GlobalPosition): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs a catch-up subscription for a consumer: load its checkpoint, subscribe after it, hand events over one
 * at a time in global order. A failing `handle` stops the subscription (the event is not skipped): the
 * checkpoint still points before it, so the next start retries it.
 */
export function startCatchUpSubscription(store: EventStore, consumer: CheckpointedConsumer, options: CatchUpOptions = {}): RunningSubscription {
  let position: GlobalPosition | undefined;
  let stopped = false;
  let failure: unknown;
  let subscription: ReturnType<EventStore['subscribeToAll']> | undefined;
  const caughtUp = new Latch();
  const waiters: { target: GlobalPosition; resolve: () => void; reject: (e: unknown) => void }[] = [];

  const settleWaiters = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (failure !== undefined) w.reject(failure);
      else if (position && comparePositions(position, w.target) >= 0) w.resolve();
      else continue;
      waiters.splice(i, 1);
    }
  };

  const run = async () => {
    position = (await consumer.loadCheckpoint()) ?? undefined;
    if (stopped) return;
    subscription = store.subscribeToAll({ after: position, filter: options.filter });
    void subscription.caughtUp.then(() => caughtUp.open());
    for await (const event of subscription) {
      if (stopped) break;
      await consumer.handle(event);
      position = event.position;
      settleWaiters();
    }
  };

  const done = run().then(
    () => {
      caughtUp.open();
      stopped = true;
      failure = new Error(`subscription ${consumer.name} stopped`);
      settleWaiters();
    },
    async (e: unknown) => {
      failure = e;
      stopped = true;
      caughtUp.open();
      settleWaiters();
      await subscription?.stop();
      throw e;
    },
  );
  // The caller observes failures through `done`; keep Node from reporting them as unhandled meanwhile.
  done.catch(() => undefined);

  return {
    caughtUp: caughtUp.promise,
    done,
    get position() {
      return position;
    },
    waitFor(target: GlobalPosition) {
      return new Promise<void>((resolve, reject) => {
        waiters.push({ target, resolve, reject });
        settleWaiters();
      });
    },
    async stop() {
      stopped = true;
      await subscription?.stop();
      await done.catch(() => undefined);
    },
  };
}
