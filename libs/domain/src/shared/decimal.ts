import { refuse } from './domain-error';

/**
 * Money as exact fixed-point decimals: a decimal string in, a `bigint` count of 10^-18 units inside, the shortest
 * exact decimal string out. JavaScript numbers never touch an amount (0.1 + 0.2 is not 0.3, and canonical JSON
 * refuses fractions anyway).
 */

/** Internal scale: every amount is an integer number of 10^-18 units. */
export const AMOUNT_SCALE = 18;
/** Largest scale a caller may write; more fractional digits would be rounded, so they are refused instead. */
export const MAX_AMOUNT_SCALE = 18;
/** Bounds the integer part so a hostile amount cannot make bigint arithmetic arbitrarily expensive. */
export const MAX_INTEGER_DIGITS = 30;

const UNIT = 10n ** BigInt(AMOUNT_SCALE);
/** No sign, no exponent, no leading zeros, no bare or trailing dot, no separators, no spaces. */
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/** Parses an amount; refuses with `invalid-amount` naming `field` and what is wrong. */
export function parseAmount(text: unknown, field: string, options: { allowZero?: boolean } = {}): bigint {
  if (typeof text !== 'string') refuse('invalid-amount', `${field} must be a decimal string like "1250.50", got ${typeof text}`);
  const m = DECIMAL.exec(text);
  if (!m) {
    refuse(
      'invalid-amount',
      `${field} ${JSON.stringify(text)} is not a plain decimal (digits with an optional fraction; no sign, exponent, leading zeros or spaces)`,
    );
  }
  const whole = m[1]!;
  const fraction = m[2] === undefined ? '' : m[2].slice(1);
  if (whole.length > MAX_INTEGER_DIGITS) refuse('invalid-amount', `${field} has more than ${MAX_INTEGER_DIGITS} integer digits`);
  if (fraction.length > MAX_AMOUNT_SCALE) {
    refuse('invalid-amount', `${field} ${JSON.stringify(text)} has ${fraction.length} fractional digits; at most ${MAX_AMOUNT_SCALE} are allowed`);
  }
  const units = BigInt(whole) * UNIT + BigInt(fraction.padEnd(AMOUNT_SCALE, '0') || '0');
  if (units === 0n && !options.allowZero) refuse('invalid-amount', `${field} must be greater than zero`);
  return units;
}

/** The shortest exact decimal string of a non-negative amount: `1250.5`, `0.000000000000000001`, `0`. */
export function formatAmount(units: bigint): string {
  if (units < 0n) throw new RangeError(`amounts are never negative, got ${units}`);
  const whole = units / UNIT;
  const fraction = (units % UNIT).toString().padStart(AMOUNT_SCALE, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

/** The canonical form of a valid amount string (e.g. `"100.50"` → `"100.5"`). */
export function normalizeAmount(text: unknown, field: string, options: { allowZero?: boolean } = {}): string {
  return formatAmount(parseAmount(text, field, options));
}

/** `units × basisPoints / 10000`, rounded down to the 10^-18 unit (a fraction of a unit is never taken). */
export function basisPointsOf(units: bigint, basisPoints: number): bigint {
  if (!Number.isSafeInteger(basisPoints) || basisPoints < 0 || basisPoints > 10_000) {
    throw new RangeError(`basis points must be an integer in [0, 10000], got ${basisPoints}`);
  }
  return (units * BigInt(basisPoints)) / 10_000n;
}

/** ISO 4217 codes (`USD`) and token tickers (`USDC`): upper-case letters and digits, starting with a letter. */
const CURRENCY = /^[A-Z][A-Z0-9]{2,9}$/;

export function requireCurrency(value: unknown, field: string): string {
  if (typeof value !== 'string' || !CURRENCY.test(value)) {
    refuse('invalid-amount', `${field} must be a currency code of 3 to 10 upper-case letters or digits (e.g. "USD", "USDC"), got ${JSON.stringify(value)}`);
  }
  return value;
}
