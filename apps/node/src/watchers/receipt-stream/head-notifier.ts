import { Injectable, type OnModuleInit } from '@nestjs/common';
import { AggregateStore } from '../../aggregates/aggregate-store';

/** Wakes the receipt streams of a corridor when receipts were appended to it (locally or from a peer). */
@Injectable()
export class HeadNotifier implements OnModuleInit {
  private readonly waiting = new Map<string, Set<() => void>>();

  constructor(private readonly aggregates: AggregateStore) {}

  onModuleInit(): void {
    this.aggregates.onAppended((outcome) => {
      if (outcome.aggregate === 'corridor') this.wake(outcome.id);
    });
  }

  /** Resolves at the next append to the corridor, or after `timeoutMs`. */
  next(corridorId: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(corridorId) ?? new Set<() => void>();
      this.waiting.set(corridorId, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiting.delete(corridorId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      set.add(done);
    });
  }

  private wake(corridorId: string): void {
    for (const done of [...(this.waiting.get(corridorId) ?? [])]) done();
  }
}
