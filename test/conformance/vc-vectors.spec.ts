import { createHash } from 'node:crypto';
import { addProof, didKeyFromPublicKey, Ed25519KeyPair, parseJsonText, publicKeyFromDidKey, signingInput, verifyProofs } from '@corridor/protocol';
import { loadVectors } from '../support/vectors';

const vectors = loadVectors('vc.json');
const keys: Record<string, Ed25519KeyPair> = Object.fromEntries(vectors.did_key_vectors.map((k: any) => [k.key, Ed25519KeyPair.fromJwk(k.jwk)]));

describe('did:key vectors', () => {
  it.each(vectors.did_key_vectors.map((k: any) => [k.key, k]))('%s', (_name, k: any) => {
    const key = Ed25519KeyPair.fromJwk(k.jwk);
    expect(key.publicKey.toString('hex')).toBe(k.public_key_hex);
    expect(key.seed().toString('hex')).toBe(k.private_seed_hex);
    expect(key.did).toBe(k.did_key);
    expect(didKeyFromPublicKey(Buffer.from(k.public_key_hex, 'hex'))).toBe(k.did_key);
    expect(Buffer.from(publicKeyFromDidKey(k.default_verification_method_cli)).toString('hex')).toBe(k.public_key_hex);
    expect(key.verificationMethod).toBe(k.verification_method_load_proof_keypair);
  });
});

describe('signing vectors', () => {
  it.each(vectors.signing_cases.map((c: any) => [c.id, c]))('%s', (_id, c: any) => {
    let doc = c.unsigned;
    for (const step of c.steps) {
      expect(signingInput(doc).toString('utf8')).toBe(step.signing_input_canonical_utf8);
      expect(createHash('sha256').update(signingInput(doc)).digest('hex')).toBe(step.signing_input_sha256);
      doc = addProof(doc, keys[step.signer], { created: c.created, verificationMethod: step.verificationMethod });
      const proofs = Array.isArray(doc.proof) ? doc.proof : [doc.proof];
      expect(proofs[proofs.length - 1]).toEqual(step.proof);
      expect(Buffer.from(step.proof.jws, 'base64url').toString('hex')).toBe(step.signature_hex);
      expect(Array.isArray(doc.proof) ? `array[${(doc.proof as unknown[]).length}]` : 'object').toBe(step.proof_field_shape_after);
    }
    expect(doc).toEqual(c.signed);
    expect(verifyProofs(c.signed).map((r) => ({ verificationMethod: r.verificationMethod, ok: r.ok }))).toEqual(
      c.verify_results.map((r: any) => ({ verificationMethod: r.verificationMethod, ok: r.ok })),
    );
  });
});

/** The reference's messages name the failing check; we compare decisions and checks, not wording. */
const CHECK_OF_REFERENCE_ERROR: [RegExp, string][] = [
  [/^Unsupported proof\.type/, 'proof-type'],
  [/^proof\.created must be/, 'created'],
  [/^Only did:key/, 'verification-method'],
  [/^Unsupported proof\.proofPurpose/, 'proof-purpose'],
  [/^proof\.jws must be base64url/, 'jws-format'],
  [/^Ed25519 signature must be 64 bytes/, 'signature-length'],
  [/^$/, 'signature'],
];

describe('verification negative vectors', () => {
  const withDocument = vectors.verification_negative_cases.filter((c: any) => c.document !== null);

  it('float-in-payload: a float makes the signing input impossible, as in the reference', () => {
    const c = vectors.verification_negative_cases.find((x: any) => x.case === 'float-in-payload');
    expect(c.raises).toMatch(/Floats are not allowed/);
    expect(() => parseJsonText('{"credentialSubject":{"amount":1.5},"proof":{}}')).toThrow(expect.objectContaining({ code: 'float-not-allowed' }));
    expect(() => signingInput({ credentialSubject: { amount: 1.5 } })).toThrow(expect.objectContaining({ code: 'float-not-allowed' }));
  });

  it.each(withDocument.map((c: any) => [c.case, c]))('%s', (_id, c: any) => {
    const ours = verifyProofs(c.document);
    expect(ours.length).toBe(c.verify_results.length);
    ours.forEach((r, i) => {
      const ref = c.verify_results[i];
      expect(r.verificationMethod).toBe(ref.verificationMethod);
      expect(r.ok).toBe(ref.ok);
      if (!ref.ok) {
        const expected = CHECK_OF_REFERENCE_ERROR.find(([re]) => re.test(ref.error ?? ''))?.[1];
        expect(r.check).toBe(expected);
      }
    });
  });
});

it('verifies a credential signed by the reference repository tooling', () => {
  const x = vectors.repository_artifact_cross_check;
  expect(createHash('sha256').update(signingInput(x.document)).digest('hex')).toBe(x.signing_input_sha256);
  expect(verifyProofs(x.document).map((r) => r.ok)).toEqual(x.verify_results.map((r: any) => r.ok));
});
