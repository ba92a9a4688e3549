/** Polling and deadline helpers for tests that talk to real servers. */

export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
  /** What is being waited for, used in the timeout message. */
  what?: string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Settles like `promise`, or rejects with "Timed out after N ms waiting for <what>" if it takes longer than
 * `timeoutMs`. The timer is always cleared, so a settled wait leaves nothing running.
 */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what = 'an operation'): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Calls `predicate` until it returns a truthy value and resolves with that value. A predicate that throws counts
 * as "not yet"; if the deadline passes, the error says what was awaited and quotes the last thrown error or the
 * last falsy value. At least one attempt is always made, and an attempt in progress is never run twice at once.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 50;
  const what = options.what ?? 'a condition';
  const started = Date.now();
  let attempts = 0;
  let last = 'it never returned a truthy value';
  for (;;) {
    attempts++;
    try {
      const value = await predicate();
      if (value) return value as NonNullable<T>;
      last = `last result: ${describe(value)}`;
    } catch (err) {
      last = `last error: ${err instanceof Error ? err.message : String(err)}`;
    }
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      throw new Error(`Timed out after ${elapsed} ms (${attempts} attempts) waiting for ${what}; ${last}`);
    }
    await sleep(Math.min(intervalMs, Math.max(0, timeoutMs - elapsed)));
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
