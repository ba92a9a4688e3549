import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { publicKeyFromDidKey } from './did-key';
import { Ed25519KeyPair, verifyEd25519 } from './ed25519';

/**
 * verifyEd25519 remembers signatures it found valid (a node checks one proof more than once on its way in). The
 * memory must never make anything verify that would not: each test first gets a success cached, then changes one
 * thing at a time.
 */
describe('verifyEd25519 with its cache of verified signatures', () => {
  const key = Ed25519KeyPair.fromSeed(createHash('sha256').update('cache-test').digest());
  const other = Ed25519KeyPair.fromSeed(createHash('sha256').update('cache-test-other').digest());

  it('given a verified signature, a changed message, signature or key is still refused', () => {
    const msg = Buffer.from('the receipt bytes');
    const sig = key.sign(msg);
    expect(verifyEd25519(key.publicKey, msg, sig)).toBe(true);
    expect(verifyEd25519(key.publicKey, msg, sig)).toBe(true); // cached
    expect(verifyEd25519(key.publicKey, Buffer.from('the receipt bytez'), sig)).toBe(false);
    const flipped = Buffer.from(sig);
    flipped[10] ^= 1;
    expect(verifyEd25519(key.publicKey, msg, flipped)).toBe(false);
    expect(verifyEd25519(other.publicKey, msg, sig)).toBe(false);
  });

  it('property: after any valid signature is cached, every single-bit change of message, signature or key is refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 128 }), fc.nat(), fc.constantFrom('message', 'signature', 'key'), (msg, bit, what) => {
        const sig = key.sign(msg);
        if (!verifyEd25519(key.publicKey, msg, sig)) return false;
        const m = Buffer.from(msg);
        const s = Buffer.from(sig);
        const k = Buffer.from(key.publicKey);
        const target = what === 'message' ? m : what === 'signature' ? s : k;
        target[bit % target.length] ^= 1 << bit % 8;
        return verifyEd25519(k, m, s) === false;
      }),
      { numRuns: 300 },
    );
  });

  it('a refused signature is not remembered as anything: the right bytes verify afterwards, the wrong ones never', () => {
    const msg = randomBytes(64);
    const sig = key.sign(msg);
    const wrong = Buffer.from(sig);
    wrong[0] ^= 0x80;
    expect(verifyEd25519(key.publicKey, msg, wrong)).toBe(false);
    expect(verifyEd25519(key.publicKey, msg, wrong)).toBe(false);
    expect(verifyEd25519(key.publicKey, msg, sig)).toBe(true);
  });

  it('did:key decoding is remembered, and a caller changing the returned bytes does not change what the next caller gets', () => {
    const first = publicKeyFromDidKey(key.did);
    expect(Buffer.from(first).equals(Buffer.from(key.publicKey))).toBe(true);
    first.fill(0);
    expect(Buffer.from(publicKeyFromDidKey(`${key.did}#${key.did.slice('did:key:'.length)}`)).equals(Buffer.from(key.publicKey))).toBe(true);
  });
});
