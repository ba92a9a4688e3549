import { utcSeconds } from '@corridor/protocol';
/**
 * Tensor time: UTC with whole seconds, `YYYY-MM-DDTHH:MM:SSZ`, the form receipts, deadlines and proofs use. One
 * form only, so two timestamps compare as instants and the canonical tensor has one spelling for each instant.
 */
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const CH_0 = 48;
const CH_9 = 57;

/** The digits of `s` from `from` to `to` (exclusive) as a number, or -1 if one of them is not an ASCII digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < CH_0 || c > CH_9) return -1;
    n = n * 10 + (c - CH_0);
  }
  return n;
}

/** Whether `s` has the separators of `YYYY-MM-DDTHH:MM:SSZ` (the digits are checked when parsed). */
function hasTimestampShape(s: string): boolean {
  return (
    s.length === 20 &&
    s.charCodeAt(4) === 45 /* - */ &&
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(10) === 84 /* T */ &&
    s.charCodeAt(13) === 58 /* : */ &&
    s.charCodeAt(16) === 58 &&
    s.charCodeAt(19) === 90 /* Z */
  );
}

/**
 * Days since 1970-01-01 of a civil date (proleptic Gregorian, astronomical years: year 0 exists),
 * exact for every year 0–9999: H. Hinnant's `days_from_civil`.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Epoch milliseconds of a tensor timestamp, or null when the text is not one (impossible dates included). */
export function timestampMillis(value: unknown): number | null {
  if (typeof value !== 'string' || !hasTimestampShape(value)) return null;
  // Parsed by hand (the hot path of every fold and read): exactly `^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$`
  // (a non-digit makes `digits` return -1) plus the range checks.
  const year = digits(value, 0, 4);
  const month = digits(value, 5, 7);
  const dayOfMonth = digits(value, 8, 10);
  const hour = digits(value, 11, 13);
  const minute = digits(value, 14, 16);
  const second = digits(value, 17, 19);
  if (year < 0 || month < 1 || month > 12 || dayOfMonth < 1 || dayOfMonth > daysInMonth(year, month) || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
    return null;
  }
  // Not Date.UTC: it reads years 0–99 as 1900–1999. The civil-date arithmetic takes the year as written, like
  // setUTCFullYear (0000-02-29 exists, 1900-02-29 does not).
  return daysFromCivil(year, month, dayOfMonth) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000;
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
  if (hasTimestampShape(value)) return timestampMillis(value) === null ? null : value;
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
