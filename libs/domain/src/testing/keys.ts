import { Ed25519KeyPair, addProof, sha256Hex, type JsonObject } from '@corridor/protocol';

/** A deterministic key per name, so fixtures (and the DIDs in expected events) are the same on every run. */
export function testKey(name: string): Ed25519KeyPair {
  return Ed25519KeyPair.fromSeed(Buffer.from(sha256Hex(`corridor-ledger test key: ${name}`), 'hex'));
}

export interface CredentialInput {
  /** Credential types besides `VerifiableCredential`. */
  types: string[];
  subject: JsonObject;
  /** Each signer adds one proof (the first is the issuer unless `issuer` is given). */
  signers: Ed25519KeyPair[];
  issuer?: string;
  issuanceDate?: string;
  id?: string;
}

/** A credential signed with `MsezEd25519Signature2025` proofs by every signer, in order. */
export function issueCredential(input: CredentialInput): JsonObject {
  const issuanceDate = input.issuanceDate ?? '2025-01-01T00:00:00Z';
  let vc: JsonObject = {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    ...(input.id === undefined ? {} : { id: input.id }),
    type: ['VerifiableCredential', ...input.types],
    issuer: input.issuer ?? input.signers[0]?.did ?? 'did:key:unsigned',
    issuanceDate,
    credentialSubject: input.subject,
  };
  for (const key of input.signers) vc = addProof(vc, key, { created: issuanceDate });
  return vc;
}

/** The same credential with one byte of every signature flipped: structurally valid, cryptographically false. */
export function tamperSignature(vc: JsonObject): JsonObject {
  const flip = (proof: JsonObject): JsonObject => {
    const sig = Buffer.from(proof.jws as string, 'base64url');
    sig[0] = sig[0]! ^ 0x01;
    return { ...proof, jws: sig.toString('base64url') };
  };
  const proof = vc.proof;
  return { ...vc, proof: Array.isArray(proof) ? (proof as JsonObject[]).map(flip) : flip(proof as JsonObject) };
}
