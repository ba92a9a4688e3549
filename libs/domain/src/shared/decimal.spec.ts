import fc from 'fast-check';
import { DomainError } from './domain-error';
import { AMOUNT_SCALE, basisPointsOf, formatAmount, normalizeAmount, parseAmount, requireCurrency } from './decimal';

describe('decimal amounts', () => {
  it('reads a decimal string as an exact count of 10^-18 units', () => {
    expect(parseAmount('1', 'a')).toBe(10n ** 18n);
    expect(parseAmount('1250.50', 'a')).toBe(1250_500000000000000000n);
    expect(parseAmount('0.000000000000000001', 'a')).toBe(1n);
    expect(parseAmount('123456789012345678901234567890.123456789012345678', 'a')).toBe(123456789012345678901234567890123456789012345678n);
  });

  it('writes the shortest exact decimal', () => {
    expect(formatAmount(0n)).toBe('0');
    expect(formatAmount(1n)).toBe('0.000000000000000001');
    expect(formatAmount(1250_500000000000000000n)).toBe('1250.5');
    expect(normalizeAmount('100.500', 'a')).toBe('100.5');
    expect(normalizeAmount('7.000', 'a')).toBe('7');
  });

  it('adds 0.1 and 0.2 to exactly 0.3', () => {
    expect(formatAmount(parseAmount('0.1', 'a') + parseAmount('0.2', 'a'))).toBe('0.3');
  });

  it('takes basis points rounding down to the unit', () => {
    expect(formatAmount(basisPointsOf(parseAmount('1000.5', 'a'), 100))).toBe('10.005');
    expect(basisPointsOf(1n, 5000)).toBe(0n);
    expect(basisPointsOf(3n, 5000)).toBe(1n);
    expect(() => basisPointsOf(1n, 10001)).toThrow(RangeError);
  });

  it('refuses zero unless allowed', () => {
    expect(() => parseAmount('0', 'stake')).toThrow(new DomainError('invalid-amount', 'stake must be greater than zero'));
    expect(parseAmount('0', 'stake', { allowZero: true })).toBe(0n);
  });

  it('refuses currency codes that are not upper-case letters and digits', () => {
    expect(requireCurrency('USD', 'c')).toBe('USD');
    expect(requireCurrency('USDC', 'c')).toBe('USDC');
    for (const bad of ['usd', 'US', '1USD', 'US D', '', 'TOOLONGCURRENCY']) expect(() => requireCurrency(bad, 'c')).toThrow(DomainError);
  });

  it('round-trips every amount exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), (units) => {
        const text = formatAmount(units);
        expect(text).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
        expect(parseAmount(text, 'a', { allowZero: true })).toBe(units);
      }),
    );
  });

  it('agrees with plain integer arithmetic on the digits (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.integer({ min: 0, max: AMOUNT_SCALE }), (digits, scale) => {
        const s = digits.toString().padStart(scale + 1, '0');
        const text = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
        expect(parseAmount(text, 'a', { allowZero: true })).toBe(digits * 10n ** BigInt(AMOUNT_SCALE - scale));
      }),
    );
  });
});
