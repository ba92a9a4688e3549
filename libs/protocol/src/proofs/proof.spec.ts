import * as crypto from 'node:crypto';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519';
import { canonicalize } from '../json/canonical';
import type { JsonObject } from '../json/json-value';
import { publicKeyFromDidKey } from '../keys/did-key';
import { Ed25519KeyPair, verifyEd25519 } from '../keys/ed25519';
import { addProof, signingInput, verifyProofs } from './proof';

const key = Ed25519KeyPair.fromSeed(crypto.createHash('sha256').update('proof-spec').digest());
const other = Ed25519KeyPair.fromSeed(crypto.createHash('sha256').update('proof-spec-other').digest());

const doc = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'proof'), fc.oneof(fc.string(), fc.integer(), fc.boolean()), { minKeys: 1, maxKeys: 6 });

describe('Ed25519: node crypto and @noble/curves agree', () => {
  it('signatures made with node crypto verify with @noble/curves', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (msg) => {
        const sig = key.sign(msg);
        return ed25519.verify(sig, msg, key.publicKey);
      }),
      { numRuns: 50 },
    );
  });

  it('signatures made with @noble/curves verify with node crypto, and are byte-identical (RFC 8032 is deterministic)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (msg) => {
        const sig = ed25519.sign(msg, key.seed());
        expect(verifyEd25519(key.publicKey, msg, sig)).toBe(true);
        expect(Buffer.from(sig).equals(key.sign(msg))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });

  it('public keys derived from the seed agree', () => {
    expect(Buffer.from(ed25519.getPublicKey(key.seed())).equals(key.publicKey)).toBe(true);
  });
});

describe('proofs', () => {
  it('a signature over a modified document fails, and only that proof', () => {
    fc.assert(
      fc.property(doc, fc.string({ minLength: 1 }), (d, extra) => {
        const signed = addProof(addProof(d as JsonObject, key), other);
        expect(verifyProofs(signed).every((r) => r.ok)).toBe(true);
        const field = Object.keys(d)[0];
        const tampered = { ...signed, [field]: JSON.stringify(signed[field]) + extra };
        const results = verifyProofs(tampered);
        expect(results.map((r) => r.ok)).toEqual([false, false]);
        expect(results.map((r) => r.check)).toEqual(['signature', 'signature']);
      }),
      { numRuns: 100 },
    );
  });

  it('a co-signature does not change what the first proof signed', () => {
    const once = addProof({ a: 1 }, key);
    const twice = addProof(once, other);
    expect(signingInput(twice).equals(signingInput(once))).toBe(true);
    expect(Array.isArray(twice.proof) && twice.proof.length).toBe(2);
  });

  it('a proof whose signature bytes are flipped fails on the signature check', () => {
    fc.assert(
      fc.property(fc.nat({ max: 63 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const signed = addProof({ hello: 'world' }, key) as JsonObject & { proof: JsonObject };
        const sig = Buffer.from(signed.proof.jws as string, 'base64url');
        sig[i] ^= x;
        const tampered = { ...signed, proof: { ...signed.proof, jws: sig.toString('base64url') } };
        const [r] = verifyProofs(tampered);
        return !r.ok && r.check === 'signature';
      }),
      { numRuns: 200 },
    );
  });

  it('the verification method resolves to the signing key', () => {
    const signed = addProof({ x: 'y' }, key) as JsonObject & { proof: { verificationMethod: string } };
    expect(Buffer.from(publicKeyFromDidKey(signed.proof.verificationMethod)).equals(key.publicKey)).toBe(true);
    expect(canonicalize(signed)).toContain('"proofPurpose":"assertionMethod"');
  });

  it('untilFirstValid stops after the first proof that verifies, and checks on while none does', () => {
    const twice = addProof(addProof({ a: 1 }, key), other);
    expect(verifyProofs(twice, { untilFirstValid: true }).map((r) => r.ok)).toEqual([true]);
    const proofs = twice.proof as unknown as JsonObject[];
    const badFirst = { ...twice, proof: [{ ...proofs[0], jws: proofs[1]!.jws }, proofs[1]] } as JsonObject;
    expect(verifyProofs(badFirst, { untilFirstValid: true }).map((r) => [r.ok, r.check])).toEqual([[false, 'signature'], [true, undefined]]);
    const tampered = { ...twice, a: 2 };
    expect(verifyProofs(tampered, { untilFirstValid: true }).map((r) => r.ok)).toEqual([false, false]);
  });

  it('never throws on hostile proof objects', () => {
    fc.assert(
      fc.property(fc.anything(), (p) => {
        const results = verifyProofs({ a: 1, proof: p as never });
        return results.every((r) => typeof r.ok === 'boolean');
      }),
      { numRuns: 500 },
    );
  });
});
