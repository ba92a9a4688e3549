import { utcSeconds } from '@corridor/protocol';
import { refuse } from './domain-error';

/**
 * Domain time: UTC with whole seconds, `YYYY-MM-DDTHH:MM:SSZ` — the form proofs use for `created`, so a receipt
 * timestamp, a deadline and a signature date compare without any time-zone or precision ambiguity.
 */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** Epoch milliseconds of a domain timestamp, or `null` if the text is not one (including impossible dates). */
export function timestampMillis(value: unknown): number | null {
  if (typeof value !== 'string' || !TIMESTAMP.test(value)) return null;
  const ms = Date.parse(value);
  // Date.parse rolls 2025-02-30 over to March; a round trip catches such impossible dates.
  if (Number.isNaN(ms) || formatTimestamp(ms) !== value) return null;
  return ms;
}

export function formatTimestamp(ms: number): string {
  return utcSeconds(new Date(ms));
}

/** Parses a timestamp field of a command; refuses with `invalid-command` naming the field. */
export function requireTimestamp(value: unknown, field: string): number {
  const ms = timestampMillis(value);
  if (ms === null) {
    refuse('invalid-command', `${field} must be a UTC timestamp YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(value)}`);
  }
  return ms;
}

export function addSeconds(timestamp: string, seconds: number): string {
  const ms = timestampMillis(timestamp);
  if (ms === null) throw new Error(`not a domain timestamp: ${timestamp}`);
  return formatTimestamp(ms + seconds * 1000);
}

/** a < b, a = b, a > b as -1, 0, 1 (both must be domain timestamps). */
export function compareTimestamps(a: string, b: string): number {
  const x = timestampMillis(a);
  const y = timestampMillis(b);
  if (x === null || y === null) throw new Error(`not domain timestamps: ${a}, ${b}`);
  return Math.sign(x - y);
}

/**
 * Every command carries its time; it may not be earlier than the aggregate's last event, so the receipts of one
 * chain never go back in time.
 */
export function requireCommandTime(at: unknown, lastEventAt: string | null): string {
  requireTimestamp(at, 'at');
  const time = at as string;
  if (lastEventAt !== null && compareTimestamps(time, lastEventAt) < 0) {
    refuse('clock-regression', `command time ${time} is earlier than the last event at ${lastEventAt}`);
  }
  return time;
}
