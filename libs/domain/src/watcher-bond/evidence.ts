import { isJsonObject } from '@corridor/protocol';
import { evidenceRecord, requireCredentialSchema, verifyCredential } from '../shared/credentials';
import { refuse } from '../shared/domain-error';
import { requireDigest, requireText } from '../shared/fields';
import type { SlashEvidence } from './events';
import type { Offence } from './slashing';
import type { Bond } from './state';

export const WATCHER_ATTESTATION_CREDENTIAL = 'MSEZCorridorWatcherAttestationCredential';

export interface ProvenOffence {
  readonly incident: string;
  readonly evidence: SlashEvidence;
}

function requireInScope(bond: Bond, corridorId: unknown): string {
  const id = requireText(corridorId, 'evidence corridor_id', 'invalid-evidence');
  if (!bond.corridor_ids.includes(id)) refuse('out-of-scope', `corridor ${id} is outside bond ${bond.bond_id}'s scope (${bond.corridor_ids.join(', ')})`);
  return id;
}

/**
 * Equivocation is proven here, not taken on trust: two watcher attestation credentials, both validly signed by
 * this watcher, for the same corridor and receipt count, naming different final state roots. The incident is the
 * (corridor, receipt count) pair, so one height is never punished twice.
 */
function proveEquivocation(evidence: Record<string, unknown>, watcherId: string, bond: Bond): ProvenOffence {
  const list = evidence.attestations;
  if (!Array.isArray(list) || list.length !== 2) refuse('invalid-evidence', 'equivocation needs exactly two conflicting attestations');
  const [a, b] = list.map((vc, i) => {
    const v = verifyCredential(vc, `attestation ${i}`);
    if (!v.types.includes(WATCHER_ATTESTATION_CREDENTIAL)) refuse('invalid-evidence', `attestation ${i} is not a ${WATCHER_ATTESTATION_CREDENTIAL}`);
    requireCredentialSchema(v, 'vc.corridor-watcher-attestation', `attestation ${i}`);
    if (!v.signers.includes(watcherId)) refuse('invalid-evidence', `attestation ${i} is not signed by watcher ${watcherId} (signed by ${v.signers.join(', ')})`);
    return v;
  }) as [ReturnType<typeof verifyCredential>, ReturnType<typeof verifyCredential>];
  if (a.subject.corridor_id !== b.subject.corridor_id) refuse('invalid-evidence', 'the two attestations are about different corridors');
  const corridorId = requireInScope(bond, a.subject.corridor_id);
  // The schema made receipt_count an integer and final_state_root a digest.
  const count = a.subject.receipt_count as number;
  if (count !== b.subject.receipt_count) {
    refuse('invalid-evidence', 'the two attestations must state the same receipt_count: different heights are lag, not equivocation');
  }
  if (a.subject.final_state_root === b.subject.final_state_root) refuse('invalid-evidence', 'the two attestations agree on the final state root: that is not equivocation');
  return {
    incident: `equivocation:${corridorId}:${count}`,
    evidence: { kind: 'conflicting-attestations', corridor_id: corridorId, receipt_count: count, attestations: [evidenceRecord(a), evidenceRecord(b)] },
  };
}

/**
 * The other offences need judgement over a corridor's history (was the attestation false? was the watcher
 * away?), which the node's adjudication makes; the bond records the incident and the digest of its evidence.
 */
function recordAdjudicated(offence: Offence, evidence: Record<string, unknown>, bond: Bond): ProvenOffence {
  const incidentId = requireText(evidence.incident_id, 'evidence incident_id', 'invalid-evidence');
  return {
    incident: `${offence}:${incidentId}`,
    evidence: {
      kind: 'evidence-bundle',
      corridor_id: requireInScope(bond, evidence.corridor_id),
      incident_id: incidentId,
      evidence_digest_sha256: requireDigest(evidence.evidence_digest_sha256, 'evidence_digest_sha256', 'invalid-evidence'),
    },
  };
}

export function proveOffence(offence: Offence, evidence: unknown, watcherId: string, bond: Bond): ProvenOffence {
  if (evidence === undefined || evidence === null) refuse('evidence-missing', `slashing for ${offence} needs evidence`);
  if (!isJsonObject(evidence)) refuse('invalid-evidence', 'evidence must be an object');
  return offence === 'equivocation' ? proveEquivocation(evidence, watcherId, bond) : recordAdjudicated(offence, evidence, bond);
}
