import { utcSeconds } from '@corridor/protocol';
/**
 * Tensor time: UTC with whole seconds, `YYYY-MM-DDTHH:MM:SSZ`, the form receipts, deadlines and proofs use. One
 * form only, so two timestamps compare as instants and the canonical tensor has one spelling for each instant.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Epoch milliseconds of a tensor timestamp, or null when the text is not one (impossible dates included). */
export function timestampMillis(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = TIMESTAMP.exec(value);
  if (!m) return null;
  const year = +m[1]!;
  const month = +m[2]!;
  const dayOfMonth = +m[3]!;
  const hour = +m[4]!;
  const minute = +m[5]!;
  const second = +m[6]!;
  if (month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return null;
  // Not Date.UTC: it reads years 0–99 as 1900–1999, and fixing the year afterwards is too late for a leap day
  // (0000-02-29 exists, 1900-02-29 does not). setUTCFullYear takes the year as written.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, dayOfMonth);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

export function isTimestamp(value: unknown): value is string {
  return timestampMillis(value) !== null;
}

export function formatTimestamp(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${ms}`);
  return utcSeconds(new Date(Math.floor(ms / 1000) * 1000));
}

/**
 * Brings an RFC 3339 date-time (any offset, any fraction of a second) to tensor time: converted to UTC and
 * truncated to the second. Truncating an expiry makes it earlier, never later (fail closed). Returns null for
 * anything else, including impossible dates.
 */
export function normalizeTimestamp(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (TIMESTAMP.test(value)) return timestampMillis(value) === null ? null : value;
  const m = RFC3339.exec(value);
  if (!m) return null;
  const [, date, time, , zone] = m;
  // Reject impossible calendar dates and times before applying the offset.
  const plain = `${date}T${time}Z`;
  if (timestampMillis(plain) === null) return null;
  const ms = Date.parse(`${date}T${time}${zone!.toUpperCase() === 'Z' ? 'Z' : zone}`);
  if (Number.isNaN(ms)) return null;
  return formatTimestamp(ms);
}

/** Parses a tensor timestamp or throws a TypeError naming `what`. */
export function requireTimestamp(value: unknown, what: string): number {
  const ms = timestampMillis(value);
  if (ms === null) throw new TypeError(`${what} must be a UTC timestamp YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(value)}`);
  return ms;
}

/** A read time given as a Date, epoch milliseconds or a tensor timestamp, as epoch milliseconds. */
export type ReadTime = Date | number | string;

export function readTimeMillis(at: ReadTime): number {
  if (at instanceof Date) {
    const ms = at.getTime();
    if (Number.isNaN(ms)) throw new TypeError('invalid Date given as read time');
    return ms;
  }
  if (typeof at === 'number') {
    if (!Number.isFinite(at)) throw new TypeError(`invalid read time ${at}`);
    return at;
  }
  return requireTimestamp(at, 'read time');
}

/** The read time truncated to the second: the instant a query evaluates at and reports as `as_of`. */
export function asOfMillis(at: ReadTime): number {
  return Math.floor(readTimeMillis(at) / 1000) * 1000;
}
