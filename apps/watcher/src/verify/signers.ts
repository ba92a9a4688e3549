import { baseDid, isJsonObject, verifyProofs, type JsonObject } from '@corridor/protocol';
import { signerPolicy, type SignerPolicy } from './proofs';

/** A signer's key replaced from a sequence of the state channel on (spec/security.md, key rotation). */
export interface KeyRotation {
  previous_key: string;
  new_key: string;
  effective_from_sequence: number;
}

export const KEY_ROTATION_CREDENTIAL = 'MSEZCorridorKeyRotationCredential';
export const KEY_ROTATED_EVENT = 'corridor.signer-key-rotated.v1';

/**
 * Who signs a corridor's receipts at each sequence: the original signer set (as first pinned) with the key
 * rotations the watcher verified applied from their effective sequence. Without rotations, one policy for all.
 */
export class SignerSchedule {
  private readonly bounds: number[];
  private readonly policies: SignerPolicy[];

  constructor(
    readonly sequencer: string,
    readonly signers: readonly string[],
    readonly peered: boolean,
    readonly rotations: readonly KeyRotation[] = [],
  ) {
    this.bounds = [...new Set(rotations.map((r) => r.effective_from_sequence))].sort((a, b) => a - b);
    this.policies = [this.policyAt(-1), ...this.bounds.map((b) => this.policyAt(b))];
  }

  /** The key that held `original`'s place at `sequence`. */
  keyAt(original: string, sequence: number): string {
    let key = original;
    for (const r of this.rotations) if (r.previous_key === key && sequence >= r.effective_from_sequence) key = r.new_key;
    return key;
  }

  private policyAt(sequence: number): SignerPolicy {
    return signerPolicy(this.keyAt(this.sequencer, sequence), this.signers.map((s) => this.keyAt(s, sequence)), this.peered);
  }

  /** The signer policy of the receipt at `sequence`. */
  at(sequence: number): SignerPolicy {
    const b = this.bounds;
    if (b.length === 0 || sequence < b[0]!) return this.policies[0]!;
    let i = b.length - 1;
    while (sequence < b[i]!) i--;
    return this.policies[i + 1]!;
  }

  /** The keys signing now (after every rotation). */
  current(): SignerPolicy {
    return this.policies[this.policies.length - 1]!;
  }

  /** Who may sign a checkpoint of `size` receipts: the keys of its last receipt's sequence and the current keys. */
  checkpointSigners(size: number): SignerPolicy {
    const then = this.at(size - 1);
    const now = this.current();
    return signerPolicy(now.sequencer, [...then.signers, ...now.signers], false);
  }

  sameAs(policy: SignerPolicy): boolean {
    const c = this.current();
    return c.sequencer === policy.sequencer && c.peered === policy.peered && c.signers.size === policy.signers.size && [...c.signers].every((s) => policy.signers.has(s));
  }

  /** The schedule with more (already verified) rotations. */
  with(rotations: readonly KeyRotation[]): SignerSchedule {
    return new SignerSchedule(this.sequencer, this.signers, this.peered, [...this.rotations, ...rotations]);
  }

  /** A schedule from the keys a node reports now, its rotations undone to find the original keys. */
  static fromCurrent(policy: SignerPolicy, rotations: readonly KeyRotation[]): SignerSchedule {
    const original = (key: string) => {
      let k = key;
      for (let i = rotations.length - 1; i >= 0; i--) if (rotations[i]!.new_key === k) k = rotations[i]!.previous_key;
      return k;
    };
    return new SignerSchedule(original(policy.sequencer), [...policy.signers].map(original).sort(), policy.peered, rotations);
  }
}

/**
 * A key rotation as a node's lifecycle chain records it (`corridor.signer-key-rotated.v1`: `rotation` and its
 * evidence), checked on its own: the `MSEZCorridorKeyRotationCredential` names this corridor and the same keys and
 * sequence, is signed by the new key (it is held) and by the previous key or another current signer, the previous
 * key is a current signer and the new key is not.
 */
export function verifyKeyRotation(payload: unknown, corridorId: string, current: SignerPolicy): { ok: true; rotation: KeyRotation } | { ok: false; detail: string } {
  if (!isJsonObject(payload) || !isJsonObject(payload.rotation)) return { ok: false, detail: 'no rotation in the event' };
  const r = payload.rotation;
  const previous = typeof r.previous_key === 'string' ? baseDid(r.previous_key) : '';
  const next = typeof r.new_key === 'string' ? baseDid(r.new_key) : '';
  const from = r.effective_from_sequence;
  if (!previous || !next || typeof from !== 'number' || !Number.isSafeInteger(from) || from < 0) return { ok: false, detail: 'rotation without previous_key, new_key, effective_from_sequence' };
  const evidence = Array.isArray(payload.evidence) ? payload.evidence : [];
  const credential = evidence
    .map((e) => (isJsonObject(e) && isJsonObject(e.credential) ? e.credential : isJsonObject(e) ? e : null))
    .find((c): c is JsonObject => c !== null && Array.isArray(c.type) && c.type.includes(KEY_ROTATION_CREDENTIAL));
  if (!credential) return { ok: false, detail: `rotation of ${previous}: no ${KEY_ROTATION_CREDENTIAL} in its evidence` };
  const s = isJsonObject(credential.credentialSubject) ? credential.credentialSubject : {};
  if (s.corridor_id !== corridorId || s.previous_key !== r.previous_key || s.new_key !== r.new_key || s.effective_from_sequence !== from) {
    return { ok: false, detail: `rotation of ${previous}: the credential does not state this corridor, keys and sequence` };
  }
  const signers = new Set(verifyProofs(credential).filter((p) => p.ok).map((p) => baseDid(p.verificationMethod)));
  if (!current.signers.has(previous)) return { ok: false, detail: `rotation of ${previous}: not a current signer of the corridor` };
  if (current.signers.has(next)) return { ok: false, detail: `rotation to ${next}: already a signer of the corridor` };
  if (!signers.has(next)) return { ok: false, detail: `rotation to ${next}: the credential is not signed by the new key` };
  if (!signers.has(previous) && ![...current.signers].some((k) => k !== previous && signers.has(k))) {
    return { ok: false, detail: `rotation of ${previous}: the credential is signed neither by the previous key nor by another signer of the corridor` };
  }
  return { ok: true, rotation: { previous_key: previous, new_key: next, effective_from_sequence: from } };
}
