import { isJsonObject, normalizeMmrHex, verifyInclusionProof, type JsonValue } from '@corridor/protocol';
import { evidenceRecord, requireSubjectCorridor, verifyCredential, type EvidenceRecord } from '../shared/credentials';
import { refuse } from '../shared/domain-error';
import { requireDigest, requireNonNegativeInteger, requireObject } from '../shared/fields';
import { timestampMillis } from '../shared/time';
import type { VerifiedEvidenceItem } from './events';

export const RULING_CREDENTIAL = 'MSEZArbitrationRulingCredential';
export const SETTLEMENT_CONSENT_CREDENTIAL = 'MSEZDisputeSettlementConsentCredential';

export interface CorridorHead {
  mmr_size: number;
  mmr_root: string;
}

export function readCorridorHead(value: unknown): CorridorHead {
  const head = requireObject(value, 'corridor_head');
  const mmr_size = requireNonNegativeInteger(head.mmr_size, 'corridor_head.mmr_size');
  if (mmr_size === 0) refuse('invalid-command', 'corridor_head.mmr_size is 0: an empty corridor has no receipts to cite');
  return { mmr_size, mmr_root: requireDigest(head.mmr_root, 'corridor_head.mmr_root') };
}

/**
 * Each cited receipt must be in the corridor: its inclusion proof verifies (the protocol's verifier, which also
 * binds the peak list to the size), proves this very receipt digest, and leads to exactly the corridor head.
 */
export function verifyEvidenceItems(items: unknown, head: CorridorHead): VerifiedEvidenceItem[] {
  if (!Array.isArray(items) || items.length === 0) refuse('evidence-missing', 'an evidence package must cite at least one corridor receipt');
  return items.map((raw, i) => {
    const what = `items[${i}]`;
    if (!isJsonObject(raw)) refuse('invalid-evidence', `${what} must be an object`);
    const nextRoot = requireDigest(raw.receipt_next_root, `${what}.receipt_next_root`, 'invalid-evidence');
    const proof = raw.inclusion_proof;
    if (proof === undefined || proof === null) refuse('evidence-missing', `${what} has no inclusion_proof`);
    const result = verifyInclusionProof(proof);
    if (!result.valid) refuse('invalid-evidence', `${what}: the inclusion proof does not verify (${result.reason}: ${result.detail})`);
    const p = proof as { receipt_next_root: unknown; size: unknown; root: unknown; leaf_index: number };
    if (normalizeMmrHex(p.receipt_next_root) !== nextRoot) refuse('invalid-evidence', `${what}: the inclusion proof is for another receipt`);
    if (p.size !== head.mmr_size || normalizeMmrHex(p.root) !== head.mmr_root) {
      refuse('invalid-evidence', `${what}: the inclusion proof leads to MMR size ${String(p.size)} root ${String(p.root)}, not the corridor head (size ${head.mmr_size}, root ${head.mmr_root})`);
    }
    const description = raw.description;
    if (description !== undefined && typeof description !== 'string') refuse('invalid-command', `${what}.description must be text`);
    return { receipt_next_root: nextRoot, leaf_index: p.leaf_index, inclusion_proof: proof as JsonValue, description: description ?? null };
  });
}

export interface VerifiedRuling {
  record: EvidenceRecord;
  disposition: string;
  orders: JsonValue[];
  appeal_deadline: string | null;
}

/**
 * A ruling is a credential of type `MSEZArbitrationRulingCredential`, validly signed by the arbitrator appointed
 * for this dispute, about this dispute and corridor: `{dispute_id, corridor_id, ruling: {disposition, orders[]},
 * appeal_deadline?}`.
 */
export function verifyRuling(value: unknown, disputeId: string, corridorId: string, arbitrator: string): VerifiedRuling {
  if (value === undefined || value === null) refuse('evidence-missing', `a ruling needs the ${RULING_CREDENTIAL}`);
  const vc = verifyCredential(value, 'the ruling');
  if (!vc.types.includes(RULING_CREDENTIAL)) refuse('invalid-evidence', `the ruling must be a ${RULING_CREDENTIAL}, got types ${vc.types.join(', ')}`);
  if (!vc.signers.includes(arbitrator)) refuse('invalid-evidence', `the ruling is signed by ${vc.signers.join(', ')}, not by the arbitrator ${arbitrator}`);
  if (vc.subject.dispute_id !== disputeId) refuse('invalid-evidence', `the ruling is about dispute ${JSON.stringify(vc.subject.dispute_id ?? null)}, not ${disputeId}`);
  requireSubjectCorridor(vc, corridorId, 'the ruling');
  const ruling = vc.subject.ruling;
  if (!isJsonObject(ruling) || typeof ruling.disposition !== 'string' || ruling.disposition === '' || !Array.isArray(ruling.orders)) {
    refuse('invalid-evidence', 'the ruling must state ruling.disposition (text) and ruling.orders (a list)');
  }
  const deadline = vc.subject.appeal_deadline;
  if (deadline !== undefined && timestampMillis(deadline) === null) {
    refuse('invalid-evidence', `the ruling's appeal_deadline must be a UTC timestamp YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(deadline)}`);
  }
  return { record: evidenceRecord(vc), disposition: ruling.disposition, orders: ruling.orders, appeal_deadline: (deadline as string | undefined) ?? null };
}

/** A party's signed consent to one settlement agreement of this dispute. */
export function verifyConsent(value: unknown, disputeId: string, party: string): { record: EvidenceRecord; agreement: string } {
  if (value === undefined || value === null) refuse('evidence-missing', `consent to settle needs the party's ${SETTLEMENT_CONSENT_CREDENTIAL}`);
  const vc = verifyCredential(value, 'the consent');
  if (!vc.types.includes(SETTLEMENT_CONSENT_CREDENTIAL)) refuse('invalid-evidence', `the consent must be a ${SETTLEMENT_CONSENT_CREDENTIAL}`);
  if (!vc.signers.includes(party)) refuse('invalid-evidence', `the consent is signed by ${vc.signers.join(', ')}, not by ${party}`);
  if (vc.subject.dispute_id !== disputeId) refuse('invalid-evidence', `the consent is about dispute ${JSON.stringify(vc.subject.dispute_id ?? null)}, not ${disputeId}`);
  return { record: evidenceRecord(vc), agreement: requireDigest(vc.subject.settlement_agreement_sha256, 'the consent settlement_agreement_sha256', 'invalid-evidence') };
}
