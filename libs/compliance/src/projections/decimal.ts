/**
 * Exact decimal amounts as the domain writes them (plain decimal strings, no sign or exponent): parsed to a
 * bigint count of 10^-18 units, summed, printed back in the shortest exact form.
 */
const SCALE = 18;
const UNIT = 10n ** BigInt(SCALE);
const DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]{1,18})?$/;

export function amountUnits(text: string): bigint {
  const m = DECIMAL.exec(text);
  if (!m) throw new TypeError(`not a plain decimal amount: ${JSON.stringify(text)}`);
  return BigInt(m[1]!) * UNIT + BigInt((m[2] ?? '.').slice(1).padEnd(SCALE, '0') || '0');
}

export function formatUnits(units: bigint): string {
  const whole = units / UNIT;
  const fraction = (units % UNIT).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return fraction === '' ? whole.toString() : `${whole}.${fraction}`;
}

export function sumAmounts(amounts: readonly string[]): string {
  return formatUnits(amounts.reduce((acc, a) => acc + amountUnits(a), 0n));
}
