import { isJsonObject } from '@corridor/protocol';
import { evidenceRecord, requireSubjectCorridor, verifyCredential, type EvidenceRecord } from '../shared/credentials';
import { refuse } from '../shared/domain-error';
import { requireDidKey } from '../shared/fields';
import { ZONE_AUTHORITY } from './evidence';
import type { CorridorState, KeyRotation } from './state';

export const KEY_ROTATION_CREDENTIAL = 'MSEZCorridorKeyRotationCredential';

/** States a key may be rotated in. A planned rotation may happen while ACTIVE; a compromised key's only while stopped. */
const STOPPED = ['SUSPENDED', 'HALTED'];

/**
 * A zone's signing key for the corridor is replaced from a given sequence of the state channel (spec/security.md
 * §Keys). The `MSEZCorridorKeyRotationCredential` names `previous_key`, `new_key` and `effective_from_sequence`,
 * and must be signed by the **new key** (it is held) and by the **previous key** (a planned rotation) or — when the
 * previous key is compromised and cannot be trusted to sign — by **another zone authority** of the corridor, in
 * which case the corridor must be SUSPENDED or HALTED first (halt, rotate, resume). The previous key stays valid
 * for verifying what it signed before `effective_from_sequence`; the new key takes over its roles.
 */
export function checkKeyRotation(credential: unknown, state: CorridorState, corridorId: string, nextSequence: number): { rotation: KeyRotation; evidence: EvidenceRecord } {
  const vc = verifyCredential(credential, 'key rotation');
  if (!vc.types.includes(KEY_ROTATION_CREDENTIAL)) refuse('invalid-evidence', `a key rotation needs a ${KEY_ROTATION_CREDENTIAL}, got types ${vc.types.join(', ') || 'none'}`);
  requireSubjectCorridor(vc, corridorId, 'the key rotation');
  const s = vc.subject;
  const previous = requireDidKey(s.previous_key, 'previous_key');
  const next = requireDidKey(s.new_key, 'new_key');
  if (previous === next) refuse('invalid-evidence', 'new_key must differ from previous_key');
  const from = s.effective_from_sequence;
  if (typeof from !== 'number' || !Number.isSafeInteger(from) || from < nextSequence) {
    refuse('invalid-evidence', `effective_from_sequence must be an integer ≥ ${nextSequence} (the state channel's next sequence): receipts already signed keep their key`);
  }
  const anchor = state.trust_anchors.find((a) => a.did === previous);
  if (!anchor) refuse('invalid-evidence', `previous_key ${previous} is not a current key of corridor ${corridorId}`);
  if (state.trust_anchors.some((a) => a.did === next)) refuse('invalid-evidence', `new_key ${next} is already a key of corridor ${corridorId}`);
  if (!vc.signers.includes(next)) refuse('invalid-evidence', `the key rotation must be signed by the new key ${next} (proof that it is held)`);
  const byPrevious = vc.signers.includes(previous);
  const otherAuthorities = state.trust_anchors.filter((a) => a.did !== previous && a.allowed_attestations.includes(ZONE_AUTHORITY)).map((a) => a.did);
  const byAuthority = vc.signers.some((d) => otherAuthorities.includes(d));
  if (!byPrevious && !byAuthority) {
    refuse('unauthorized', `the key rotation must be signed by the previous key ${previous} or by another ${ZONE_AUTHORITY} of the corridor (${otherAuthorities.join(', ') || 'none'})`);
  }
  if (!byPrevious && !STOPPED.includes(state.lifecycle!)) {
    refuse('transition-not-allowed', `corridor ${corridorId} is ${state.lifecycle}: a key rotation without the previous key's signature (a compromised key) needs the corridor SUSPENDED or HALTED first`);
  }
  const reason = isJsonObject(s) && typeof s.reason === 'string' ? s.reason : byPrevious ? 'planned' : 'compromise';
  return {
    rotation: { previous_key: previous, new_key: next, effective_from_sequence: from, roles: [...anchor.allowed_attestations], reason },
    evidence: evidenceRecord(vc),
  };
}

/** The key that held `did`'s place at `sequence`, following the rotations in order (a key's original did for none). */
export function keyAtSequence(rotations: readonly KeyRotation[], original: string, sequence: number): string {
  let key = original;
  for (const r of rotations) if (r.previous_key === key && sequence >= r.effective_from_sequence) key = r.new_key;
  return key;
}

/** The original did (as the agreement names it) of a key, following rotations backwards. */
export function originalKey(rotations: readonly KeyRotation[], key: string): string {
  let did = key;
  for (let i = rotations.length - 1; i >= 0; i--) if (rotations[i]!.new_key === did) did = rotations[i]!.previous_key;
  return did;
}
