/**
 * A level-triggered wake-up: `wait(ms)` resolves at the next `notify()` or after `ms`, whichever comes first.
 * A notify that arrives while nobody waits is remembered, so a waiter never sleeps through a commit that
 * happened between its last read and its wait.
 */
export class Wakeup {
  private pending = false;
  private waiters: (() => void)[] = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    if (waiters.length === 0) this.pending = true;
    for (const w of waiters) w();
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== finish);
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.waiters.push(finish);
    });
  }
}

/** Resolves once; later calls are ignored. */
export class Latch {
  readonly promise: Promise<void>;
  private resolveFn!: () => void;
  private settled = false;

  constructor() {
    this.promise = new Promise<void>((resolve) => (this.resolveFn = resolve));
  }

  open(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveFn();
  }

  get isOpen(): boolean {
    return this.settled;
  }
}
