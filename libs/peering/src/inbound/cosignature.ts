import { baseDid, createProof, isJsonObject, verifyProofs, withoutKeys, type Ed25519KeyPair, type JsonObject, type MsezProof } from '@corridor/protocol';

/**
 * A co-signature is an ordinary proof over the receipt without its proofs — the same signing input as the
 * sequencer's — so a receipt carrying every proof verifies with any MSEZ verifier (spec/peering.md §3).
 */
export function cosign(receipt: JsonObject, key: Ed25519KeyPair, created: string): MsezProof {
  return createProof(withoutKeys(receipt, 'proof') as JsonObject, key, { created });
}

/** Checks a proof over a receipt; returns the signer's did or the reason it does not count. */
export function verifyCosignature(receipt: JsonObject, proof: unknown, allowedSigners: ReadonlySet<string>): { ok: true; signer: string } | { ok: false; detail: string } {
  if (!isJsonObject(proof)) return { ok: false, detail: 'a co-signature must be a proof object' };
  const vm = typeof proof.verificationMethod === 'string' ? proof.verificationMethod : '';
  let signer: string;
  try {
    signer = baseDid(vm);
  } catch {
    return { ok: false, detail: `co-signature verificationMethod ${JSON.stringify(vm)} is not a did:key` };
  }
  if (!allowedSigners.has(signer)) return { ok: false, detail: `${signer} is not a signer of this corridor's receipts` };
  const [result] = verifyProofs({ ...(withoutKeys(receipt, 'proof') as JsonObject), proof });
  if (!result?.ok) return { ok: false, detail: `co-signature by ${signer} does not verify (${result?.check}: ${result?.error})` };
  return { ok: true, signer };
}

/** The receipt with its proofs in the shared order: the sequencer's first, then the others by verification method. */
export function withProofs(receipt: JsonObject, proofs: readonly JsonObject[]): JsonObject {
  const seen = new Set<string>();
  const unique = proofs.filter((p) => {
    const k = `${String(p.verificationMethod)}|${String(p.jws)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  const [first, ...rest] = unique;
  rest.sort((a, b) => (String(a.verificationMethod) < String(b.verificationMethod) ? -1 : String(a.verificationMethod) > String(b.verificationMethod) ? 1 : 0));
  const all = first ? [first, ...rest] : [];
  return { ...(withoutKeys(receipt, 'proof') as JsonObject), proof: all.length === 1 ? all[0]! : all };
}
