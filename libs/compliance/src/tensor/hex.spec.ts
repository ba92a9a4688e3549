import { isDigest } from '@corridor/protocol';
import { isHexDigest } from './hex';

describe('isHexDigest', () => {
  const d = 'ab'.repeat(32);

  it('accepts exactly what isDigest accepts: 64 lowercase hex digits', () => {
    const cases: unknown[] = [d, '0'.repeat(64), 'f'.repeat(64), 'A' + d.slice(1), d.slice(1), d + '0', 'g' + d.slice(1), ` ${d.slice(1)}`, d.slice(0, 63) + '\n', 'é' + d.slice(1), '', null, undefined, 42, [d], { d }];
    for (const c of cases) expect([c, isHexDigest(c)]).toEqual([c, isDigest(c)]);
  });

  it('agrees with isDigest on random strings over a hex-heavy alphabet, including repeats of recent values', () => {
    let seed = 5;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const alphabet = '0123456789abcdefABCDEFgz \u00e9\u0660';
    const recent: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      let s: string;
      if (recent.length > 0 && rnd(4) === 0) s = recent[rnd(recent.length)]!;
      else {
        const len = rnd(8) === 0 ? 63 + rnd(3) : 64;
        s = Array.from({ length: len }, () => alphabet[rnd(rnd(10) === 0 ? alphabet.length : 16)]).join('');
      }
      recent.push(s);
      if (recent.length > 3) recent.shift();
      expect(isHexDigest(s)).toBe(isDigest(s));
    }
  });

  it('does not let a remembered digest vouch for a different string of the same length', () => {
    expect(isHexDigest(d)).toBe(true);
    expect(isHexDigest(d.slice(0, 63) + 'G')).toBe(false);
    expect(isHexDigest(d.toUpperCase())).toBe(false);
  });
});
