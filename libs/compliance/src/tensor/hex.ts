/** 1 for the character codes of 0-9 and a-f. */
const HEX = new Uint8Array(128);
for (const c of '0123456789abcdef') HEX[c.charCodeAt(0)] = 1;

/** The last two strings found to be digests: a fold checks the same digest string several times. */
let recent0: string | undefined;
let recent1: string | undefined;

/**
 * `isDigest` of @corridor/protocol (64 lowercase hex digits), written as a table lookup per character: it is
 * called several times per folded event, and this is a few times faster than the regular expression.
 */
export function isHexDigest(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== 64) return false;
  if (value === recent0 || value === recent1) return true;
  for (let i = 0; i < 64; i++) {
    const c = value.charCodeAt(i);
    if (c > 127 || HEX[c] === 0) return false;
  }
  recent1 = recent0;
  recent0 = value;
  return true;
}
