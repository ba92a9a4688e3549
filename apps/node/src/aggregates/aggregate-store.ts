import { Inject, Injectable } from '@nestjs/common';
import type { Decider, DomainCommand, DomainEvent, Versioned } from '@corridor/domain';
import { NO_STREAM, ReceiptChainWriter, type EventMetadata } from '@corridor/ledger';
import { parseJsonText, type JsonObject } from '@corridor/protocol';
import { currentRequestContext } from '../idempotency/request-context';
import { CHAIN_WRITER } from '../infrastructure/tokens';
import { commandSpan, measuredAppend } from '../telemetry/ledger-telemetry';
import type { AggregateDefinition, AggregateView } from './aggregate-definition';
import { chainEventOf } from './stream-codec';

/** A receipt an append stored, with its stream and (when known) its canonical JSON text as stored. */
export interface OutcomeReceipt {
  stream: string;
  receipt: JsonObject;
  text?: string;
}

/** What an accepted command produced: the new events and the signed receipts that record them. */
export interface CommandOutcome<V> {
  aggregate: string;
  id: string;
  receipts: OutcomeReceipt[];
  view: V;
}

/** Told of every append: `local` for the node's own commands, `peer` for receipts received from a sequencer. */
export type AppendListener = (outcome: CommandOutcome<AggregateView<Versioned>>, origin: 'local' | 'peer') => void;

const LOAD_PAGE = 2000;

type AnyDefinition = AggregateDefinition<DomainCommand, DomainEvent, Versioned, AggregateView<Versioned>>;

/**
 * The command path shared by every aggregate: load (from the cache, or by folding its streams once), decide,
 * append each event as the next receipt of its stream with the exact expected revision, fold. Commands on one
 * aggregate instance run one at a time; different instances run concurrently. A refused command (the decider
 * throws) appends nothing.
 */
@Injectable()
export class AggregateStore {
  /** Each instance's view as of its durable receipts: what queries read. */
  private readonly views = new Map<string, AggregateView<Versioned>>();
  /** The view pipelined commands will produce (decided, appends not yet durable): what the next command is decided on. */
  private readonly pending = new Map<string, AggregateView<Versioned>>();
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly listeners: AppendListener[] = [];

  constructor(@Inject(CHAIN_WRITER) private readonly writer: ReceiptChainWriter) {}

  /** The instance's view as of its durable receipts (never a pipelined command's state before it is stored). */
  async load<V extends AggregateView<Versioned>>(def: AggregateDefinition<any, any, any, V>, id: string): Promise<V> {
    const key = `${def.name}/${id}`;
    const cached = this.views.get(key);
    if (cached) return cached as V;
    let view = def.emptyView();
    for (const stream of def.streams(id)) {
      const codec = def.codec(stream);
      // Page through the stream: a corridor with a million receipts must not be read into memory at once.
      for (let from = 0; ; ) {
        const events = await this.writer.store.read(stream, { fromRevision: from, maxCount: LOAD_PAGE });
        for (const stored of events) {
          const receipt = parseJsonText(stored.data) as JsonObject;
          view = def.fold(view, codec.fromReceipt(stored.type, receipt), stream, stored.revision);
        }
        if (events.length < LOAD_PAGE) break;
        from = events[events.length - 1]!.revision + 1;
      }
    }
    this.views.set(key, view);
    return view;
  }

  /** The view the next command is decided on: the pipelined one when commands are in flight, else the durable one. */
  private async working(def: AggregateDefinition<any, any, any, any>, id: string): Promise<AggregateView<Versioned>> {
    return this.pending.get(`${def.name}/${id}`) ?? this.load(def, id);
  }

  execute<V extends AggregateView<Versioned>>(def: AggregateDefinition<any, any, any, V>, id: string, command: DomainCommand): Promise<CommandOutcome<V>> {
    return commandSpan(def.name, id, command.type, async () => {
      const issued = await this.enqueue(def, id, () => this.issue(def as unknown as AnyDefinition, id, command));
      return issued.done;
    }) as Promise<CommandOutcome<V>>;
  }

  /** Decides a command on the current view without appending anything (a proposal checked before it is sent). */
  async dryRun<V extends AggregateView<Versioned>>(def: AggregateDefinition<any, any, any, V>, id: string, command: DomainCommand): Promise<{ view: V; events: DomainEvent[] }> {
    const view = (await this.working(def, id)) as V;
    return { view, events: (def.decider as Decider<DomainCommand, DomainEvent, Versioned>).decide(command, view.state) };
  }

  /** Runs `work` after everything queued on the instance, one at a time. */
  private enqueue<T>(def: { name: string }, id: string, work: () => Promise<T>): Promise<T> {
    const key = `${def.name}/${id}`;
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => this.tails.get(key) === tail && this.tails.delete(key));
    return run;
  }

  /**
   * Decides a command and hands its appends to the writer, in the instance's queue. A command whose events all go
   * to one stream (the common case) is *pipelined*: once its append is queued in the writer's stream lane — in
   * order, at the exact expected revision — the next command on the instance may be decided on the view it will
   * produce, so commands on one busy aggregate share the writer's group commits instead of waiting one fsync each.
   * `done` settles when the receipts are durable; listeners are told then, in append order. If an append fails, the
   * cached view is dropped: commands decided on it fail at the writer (their expected revision is gone) and later
   * ones reload from the store. Commands spanning several streams, or under an Idempotency-Key (whose target stream
   * is recorded before the append), run start to end inside the queue, as before.
   */
  private async issue(def: AnyDefinition, id: string, command: DomainCommand): Promise<{ done: Promise<CommandOutcome<AggregateView<Versioned>>> }> {
    const key = `${def.name}/${id}`;
    const before = await this.working(def, id);
    const events = (def.decider as Decider<DomainCommand, DomainEvent, Versioned>).decide(command, before.state);
    if (events.length === 0) return { done: Promise.resolve({ aggregate: def.name, id, receipts: [], view: before }) };
    const stream = def.streamOf(id, events[0]!);
    const ctx = currentRequestContext();
    if (ctx?.onTargetStream || events.some((e) => def.streamOf(id, e) !== stream)) {
      const outcome = await this.executeNow(def, id, before, events);
      if (outcome.receipts.length > 0) this.notify(outcome, 'local');
      return { done: Promise.resolve(outcome) };
    }
    const revision0 = before.revisions[stream];
    let next = before;
    events.forEach((e, i) => (next = def.fold(next, e, stream, (revision0 ?? -1) + 1 + i)));
    const codec = def.codec(stream);
    const profile = { ...def.profile(id, stream, next), toTransition: codec.toTransition };
    const metadata: EventMetadata | undefined = ctx?.idempotencyKey ? { idempotency_key: ctx.idempotencyKey } : undefined;
    // measuredAppend and writer.append run synchronously up to the lane's queue: the order of issue is the order of append.
    const appended = measuredAppend({ aggregate: def.name, stream, origin: 'local', count: events.length }, () =>
      this.writer.append(stream, profile, events.map(chainEventOf), revision0 ?? NO_STREAM, metadata),
    );
    this.pending.set(key, next);
    const done = appended.then(
      (a) => {
        // Durable: queries may see it now. Appends complete in issue order, so this is the newest durable state.
        this.views.set(key, next);
        if (this.pending.get(key) === next) this.pending.delete(key);
        const outcome = { aggregate: def.name, id, receipts: a.receipts.map((receipt, i) => ({ stream, receipt, text: a.texts[i] })), view: next };
        this.notify(outcome, 'local');
        return outcome;
      },
      (e: unknown) => {
        // The store may have moved on without us: reload on the next command (commands decided on `next` fail too).
        this.views.delete(key);
        this.pending.delete(key);
        throw e;
      },
    );
    return { done };
  }

  /** A command's appends one stream group after another, each awaited (multi-stream commands, idempotent requests). */
  private async executeNow(def: AnyDefinition, id: string, before: AggregateView<Versioned>, events: DomainEvent[]): Promise<CommandOutcome<AggregateView<Versioned>>> {
    const key = `${def.name}/${id}`;
    // Group consecutive events by target stream, keeping their order.
    const groups: { stream: string; events: DomainEvent[] }[] = [];
    for (const e of events) {
      const stream = def.streamOf(id, e);
      const last = groups[groups.length - 1];
      if (last && last.stream === stream) last.events.push(e);
      else groups.push({ stream, events: [e] });
    }

    const ctx = currentRequestContext();
    const metadata: EventMetadata | undefined = ctx?.idempotencyKey ? { idempotency_key: ctx.idempotencyKey } : undefined;
    let view = before;
    const receipts: CommandOutcome<AggregateView<Versioned>>['receipts'] = [];
    try {
      for (const group of groups) {
        let next = view;
        const revision0 = view.revisions[group.stream];
        group.events.forEach((e, i) => (next = def.fold(next, e, group.stream, (revision0 ?? -1) + 1 + i)));
        await ctx?.onTargetStream?.(group.stream);
        const codec = def.codec(group.stream);
        const profile = { ...def.profile(id, group.stream, next), toTransition: codec.toTransition };
        const appended = await measuredAppend({ aggregate: def.name, stream: group.stream, origin: 'local', count: group.events.length }, () =>
          this.writer.append(group.stream, profile, group.events.map(chainEventOf), revision0 ?? NO_STREAM, metadata),
        );
        appended.receipts.forEach((receipt, i) => receipts.push({ stream: group.stream, receipt, text: appended.texts[i] }));
        view = next;
        // Durable, and the newest: this command holds the queue and everything issued before it is stored now.
        this.views.set(key, view);
        this.pending.delete(key);
      }
    } catch (e) {
      this.views.delete(key); // the store may have moved on without us: reload on the next command
      this.pending.delete(key);
      throw e;
    }
    return { aggregate: def.name, id, receipts, view };
  }

  /**
   * Appends receipts a peer's sequencer built and signed (spec/peering.md) to one of the aggregate's streams, in
   * the instance's command queue so they interleave correctly with local commands. `guard` sees the current view
   * first and may refuse (throw); the receipts are folded into the view like local ones.
   */
  importReceived<V extends AggregateView<Versioned>>(
    def: AggregateDefinition<any, any, any, V>,
    id: string,
    stream: string,
    receipts: readonly JsonObject[],
    guard: (view: V) => void,
  ): Promise<CommandOutcome<V>> {
    return this.enqueue(def, id, async () => {
      const key = `${def.name}/${id}`;
      const before = (await this.working(def, id)) as V;
      guard(before);
      const codec = def.codec(stream);
      const events = receipts.map((r) => codec.fromReceipt('', r));
      const revision0 = before.revisions[stream];
      let next = before;
      events.forEach((e, i) => (next = def.fold(next, e, stream, (revision0 ?? -1) + 1 + i)));
      try {
        await measuredAppend({ aggregate: def.name, stream, origin: 'peer', count: receipts.length, sequence: (revision0 ?? -1) + 1 }, () =>
          this.writer.appendReceived(stream, def.profile(id, stream, next), events.map((e, i) => ({ type: e.type, receipt: receipts[i]! })), revision0 ?? NO_STREAM),
        );
      } catch (e) {
        this.views.delete(key);
        this.pending.delete(key);
        throw e;
      }
      this.views.set(key, next);
      this.pending.delete(key);
      const outcome = { aggregate: def.name, id, receipts: receipts.map((receipt) => ({ stream, receipt })), view: next };
      this.notify(outcome, 'peer');
      return outcome;
    }) as Promise<CommandOutcome<V>>;
  }

  /** Calls `listener` after every append of receipts (local commands and received ones), in append order per instance. */
  onAppended(listener: AppendListener): void {
    this.listeners.push(listener);
  }

  private notify(outcome: CommandOutcome<AggregateView<Versioned>>, origin: 'local' | 'peer'): void {
    for (const l of this.listeners) {
      try {
        l(outcome, origin);
      } catch {
        // A listener's failure is its own (it logs); the append is done and stays done.
      }
    }
  }

  /** Drops cached views (tests that write to the store behind the node's back). */
  forget(): void {
    this.views.clear();
    this.pending.clear();
  }
}
