import { comparePositions, formatPosition, type GlobalPosition } from '@corridor/ledger';

/** A promise with its settlers: settling twice is a no-op, and a rejection nobody awaits is not an unhandled one. */
export class Deferred {
  readonly promise: Promise<void>;
  settled = false;
  private res!: () => void;
  private rej!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.res = res;
      this.rej = rej;
    });
    this.promise.catch(() => undefined);
  }
  resolve(): void {
    if (!this.settled) (this.settled = true), this.res();
  }
  reject(e: unknown): void {
    if (!this.settled) (this.settled = true), this.rej(e);
  }
}

/** What a projection's position waiters look at. */
export interface WaitedProjection {
  readonly name: string;
  readonly position: GlobalPosition | undefined;
  readonly state: string;
  readonly error: unknown;
}

/**
 * `waitFor(position)` of a running projection (in process, or mirrored from the projection thread): each wait resolves
 * once the projection is at or past its position, and rejects when the projection fails or stops first. `settle()`
 * after every change of the projection's position or state.
 */
export class PositionWaiters {
  private waiters: { target: GlobalPosition; d: Deferred }[] = [];

  constructor(private readonly projection: WaitedProjection) {}

  add(target: GlobalPosition): Promise<void> {
    const d = new Deferred();
    this.waiters.push({ target, d });
    this.settle();
    return d.promise;
  }

  settle(): void {
    const p = this.projection;
    this.waiters = this.waiters.filter(({ target, d }) => {
      if (p.position !== undefined && comparePositions(p.position, target) >= 0) d.resolve();
      else if (p.state === 'failed') d.reject(p.error);
      else if (p.state === 'stopped') d.reject(new Error(`projection ${p.name} stopped before position ${formatPosition(target)}`));
      else return true;
      return false;
    });
  }
}
