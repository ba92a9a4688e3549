import * as crypto from 'node:crypto';
import { ProtocolError } from '../errors';
import { isJsonObject, type JsonObject } from '../json/json-value';
import { utcSeconds, verifyProofs } from '../proofs/proof';
import { checkpointDigest, headCommitmentDigest } from '../receipts/commitments';
import { pyInt } from '../corridor/agreement';
import { pyStr } from '../corridor/module';
import { MSEZ_VC_CONTEXT } from '../chain/forks';

/** The finality ladder, weakest first. */
export const FINALITY_LEVELS = ['proposed', 'receipt_signed', 'checkpoint_signed', 'watcher_quorum', 'l1_anchored', 'legally_recognized'] as const;
export type FinalityLevel = (typeof FINALITY_LEVELS)[number];

export function isFinalityLevel(value: unknown): value is FinalityLevel {
  return typeof value === 'string' && (FINALITY_LEVELS as readonly string[]).includes(value);
}

export interface WatcherAttestationInput {
  corridor_id: string;
  /** The checkpoint the watcher observed (signed or not). */
  checkpoint: JsonObject;
  /** Where the checkpoint is, relative to the corridor module (the ArtifactRef's `uri`). */
  checkpoint_uri: string;
  issuer: string;
  observed_at?: string;
  issuanceDate?: string;
  id?: string;
  no_fork_observed?: boolean;
  /** An explicit claim; by default `checkpoint_signed` when the checkpoint carries a valid proof, else none. */
  finality_level?: FinalityLevel;
  now?: () => Date;
}

/**
 * An unsigned watcher attestation credential (reference `cmd_corridor_state_watcher_attest`): the checkpoint's head
 * (genesis_root, receipt_count, final_state_root, mmr_root), the checkpoint itself by digest (ArtifactRef
 * `checkpoint`), when it was observed, and the head commitment digest that lets attestations of one head be grouped
 * whatever their checkpoints' timestamps. Sign it with `addProof` using the watcher's key.
 */
export function buildWatcherAttestationCredential(input: WatcherAttestationInput): JsonObject {
  const ck = input.checkpoint;
  if (pyStr(ck.corridor_id).trim() !== input.corridor_id) {
    throw new ProtocolError('invalid-attestation', 'checkpoint corridor_id does not match the corridor');
  }
  if (!input.issuer.trim()) throw new ProtocolError('invalid-attestation', 'issuer is required');
  if (input.finality_level !== undefined && !isFinalityLevel(input.finality_level)) {
    throw new ProtocolError('invalid-attestation', `unknown finality level ${JSON.stringify(input.finality_level)}`);
  }
  const now = utcSeconds((input.now ?? (() => new Date()))());
  const mmr = isJsonObject(ck.mmr) ? ck.mmr : {};
  const subject: JsonObject = {
    corridor_id: input.corridor_id,
    genesis_root: pyStr(ck.genesis_root).trim().toLowerCase(),
    checkpoint_digest_sha256: { artifact_type: 'checkpoint', digest_sha256: checkpointDigest(ck), uri: input.checkpoint_uri },
    receipt_count: pyInt(ck.receipt_count) ?? 0,
    final_state_root: pyStr(ck.final_state_root).trim().toLowerCase(),
    mmr_root: pyStr(mmr.root).trim().toLowerCase(),
    observed_at: input.observed_at ?? now,
    no_fork_observed: Boolean(input.no_fork_observed),
  };
  if (input.finality_level) subject.finality_level = input.finality_level;
  else if (verifyProofs(ck).some((r) => r.ok)) subject.finality_level = 'checkpoint_signed';
  subject.head_commitment_digest_sha256 = headCommitmentDigest({
    corridor_id: input.corridor_id,
    genesis_root: subject.genesis_root as string,
    receipt_count: subject.receipt_count as number,
    final_state_root: subject.final_state_root as string,
    mmr_root: subject.mmr_root as string,
  });
  return {
    '@context': [...MSEZ_VC_CONTEXT],
    id: input.id ?? `urn:msez:vc:corridor-watcher:${input.corridor_id}:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', 'MSEZCorridorWatcherAttestationCredential'],
    issuer: input.issuer,
    issuanceDate: input.issuanceDate ?? now,
    credentialSubject: subject,
  };
}
