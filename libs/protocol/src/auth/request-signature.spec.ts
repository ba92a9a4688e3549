import fc from 'fast-check';
import { Ed25519KeyPair } from '../keys/ed25519';
import { parseRequestSignature, signRequest, verifyRequestSignature } from './request-signature';

const key = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 7), 'peer');
const other = Ed25519KeyPair.fromSeed(Buffer.alloc(32, 8), 'other');
const req = { method: 'POST', path: '/peering/messages', body: '{"a":1}' };
const T = 1_800_000_000;

describe('signed requests', () => {
  it('a request signed by a did:key verifies for that did', () => {
    const header = signRequest(req, key, { time: T });
    expect(verifyRequestSignature(parseRequestSignature(header), req, { now: T + 5, windowSeconds: 60 })).toEqual({ ok: true, did: key.did });
  });

  it('refuses another body, path or method, a time outside the window, and a signature claimed for another did', () => {
    const parts = parseRequestSignature(signRequest(req, key, { time: T }));
    expect(verifyRequestSignature(parts, { ...req, body: '{"a":2}' }, { now: T, windowSeconds: 60 })).toMatchObject({ ok: false });
    expect(verifyRequestSignature(parts, { ...req, path: '/admin' }, { now: T, windowSeconds: 60 })).toMatchObject({ ok: false });
    expect(verifyRequestSignature(parts, { ...req, method: 'GET' }, { now: T, windowSeconds: 60 })).toMatchObject({ ok: false });
    expect(verifyRequestSignature(parts, req, { now: T + 61, windowSeconds: 60 })).toMatchObject({ ok: false, reason: expect.stringMatching(/outside the 60 s window/) });
    expect(verifyRequestSignature({ ...parts, did: other.did }, req, { now: T, windowSeconds: 60 })).toMatchObject({ ok: false });
  });

  it('property: malformed headers throw a ProtocolError, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (h) => {
        try {
          parseRequestSignature(h);
        } catch (e) {
          expect((e as { code?: string }).code).toBe('invalid-request-signature');
        }
      }),
    );
  });

  it('property: any single-character change to a valid header makes it fail to parse or to verify', () => {
    const header = signRequest(req, key, { time: T, nonce: 'abcdefghijklmnop' });
    fc.assert(
      fc.property(fc.nat(header.length - 1), fc.char(), (at, c) => {
        const changed = header.slice(0, at) + c + header.slice(at + 1);
        if (changed === header) return;
        let ok = false;
        try {
          ok = verifyRequestSignature(parseRequestSignature(changed), req, { now: T, windowSeconds: 60 }).ok;
        } catch {
          ok = false;
        }
        // Whitespace around parameters is allowed by the grammar; the signed values are what matter.
        if (ok) expect(parseRequestSignature(changed)).toEqual(parseRequestSignature(header));
      }),
      { numRuns: 500 },
    );
  });
});
