import * as crypto from 'node:crypto';
import { coerceDigest, sha256Hex } from '../digest';
import { ProtocolError } from '../errors';
import { compareCodePoints } from '../json/canonical';
import { parseJsonText } from '../json/json-text';
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json-value';
import { computeNextRoot } from '../receipts/receipt';
import { utcSeconds } from '../proofs/proof';
import { pyInt } from '../corridor/agreement';
import { anchorsAllowing, pyStr } from '../corridor/module';
import {
  errorMessage,
  firstSchemaError,
  groupCandidates,
  loadForkResolutions,
  selectCanonicalChain,
  sortByPath,
  sourceValue,
  verifiedSigners,
  type ReceiptRow,
} from './common';
import type { ChainExpectations, CheckpointSource, ForkResolutionSource, ReceiptSource } from './types';

export const MSEZ_VC_CONTEXT = [
  'https://www.w3.org/2018/credentials/v1',
  'https://schemas.momentum-sez.org/contexts/msez/v1',
  'https://schemas.momentum-sez.org/contexts/msez/corridor/v1',
];

export interface ForkInspectOptions {
  forkResolutions?: ForkResolutionSource[];
  fromCheckpoint?: CheckpointSource;
  /** Verify receipt signatures (default true); without, signer sets are empty. */
  verifyProofs?: boolean;
  enforceTrustAnchors?: boolean;
  enforceTransitionTypes?: boolean;
}

export interface ForkInspectCandidate {
  next_root: string;
  signer_count: number;
  signers: string[];
  paths: string[];
}

export interface ForkInspectPoint {
  sequence: number;
  prev_root: string;
  candidates: ForkInspectCandidate[];
  chosen_next_root?: string;
  resolution_sources?: string[];
  resolved: boolean;
}

export interface ForkInspectReport {
  type: 'MSEZCorridorForkInspectReport';
  corridor_id: string;
  genesis_root: string;
  from_checkpoint: JsonObject | null;
  receipts: { total: number; valid: number; invalid: number; invalid_details: { path: string; error: string }[] };
  forks: { total: number; resolved: number; unresolved: number; points: ForkInspectPoint[] };
  canonical_head: { receipt_count: number; final_state_root: string; last_sequence: number } | null;
  recommendations: string[];
  warnings: string[];
  errors: string[];
}

/**
 * Forensic report over a set of receipts (reference `cmd_corridor_state_fork_inspect`): unlike chain verification,
 * invalid receipts are listed rather than fatal (checks: parse, schema, corridor_id, next_root, optional registry
 * digest, at least one valid proof, optional trust anchor); fork points are listed with their candidates, signers
 * and resolution coverage; the canonical head is computed when the walk allows it (selection errors become
 * warnings).
 */
export function inspectForks(expected: ChainExpectations, receipts: readonly ReceiptSource[], options: ForkInspectOptions = {}): ForkInspectReport {
  const warnings: string[] = [];
  const errors: string[] = [];
  const verify = options.verifyProofs !== false;
  const enforceTrust = Boolean(options.enforceTrustAnchors) && verify;

  let startSeq = 0;
  let startPrev = expected.genesis_root;
  let checkpointInfo: JsonObject | null = null;
  if (options.fromCheckpoint) {
    const path = options.fromCheckpoint.path ?? 'checkpoint';
    let ck: JsonValue | undefined;
    try {
      ck = sourceValue(options.fromCheckpoint);
    } catch (e) {
      errors.push(`failed to load from-checkpoint: ${path}: ${errorMessage(e)}`);
    }
    if (ck !== undefined) {
      const schemaError = firstSchemaError('corridor.checkpoint', ck);
      if (schemaError !== undefined || !isJsonObject(ck)) {
        errors.push(`invalid from-checkpoint schema: ${path}: ${schemaError ?? 'not an object'}`);
      } else {
        const signers = verify ? [...verifiedSigners(ck)].sort() : [];
        startSeq = pyInt(ck.receipt_count) ?? 0;
        startPrev = pyStr(ck.final_state_root).trim().toLowerCase() || startPrev;
        checkpointInfo = {
          path,
          valid_proofs: verify ? signers.length > 0 : null,
          signers,
          receipt_count: startSeq,
          final_state_root: startPrev,
          mmr_root: pyStr(isJsonObject(ck.mmr) ? ck.mmr.root : '').trim().toLowerCase(),
        };
      }
    }
  }

  const resolutions = loadForkResolutions(options.forkResolutions, expected.corridor_id);
  errors.push(...resolutions.errors);

  const allowed = enforceTrust ? anchorsAllowing(expected.trust_anchors ?? [], 'corridor_receipt', { wildcard: true }) : new Set<string>();
  const rows: ReceiptRow[] = [];
  const invalid: { path: string; error: string }[] = [];
  for (const src of sortByPath(receipts)) {
    let receipt: JsonValue;
    try {
      receipt = sourceValue(src);
    } catch (e) {
      invalid.push({ path: src.path, error: `json parse failed: ${errorMessage(e)}` });
      continue;
    }
    const schemaError = firstSchemaError('corridor.receipt', receipt);
    if (schemaError !== undefined || !isJsonObject(receipt)) {
      invalid.push({ path: src.path, error: `schema invalid: ${schemaError ?? 'not an object'}` });
      continue;
    }
    if (pyStr(receipt.corridor_id).trim() !== expected.corridor_id) {
      invalid.push({ path: src.path, error: 'corridor_id mismatch' });
      continue;
    }
    let next: string;
    try {
      next = computeNextRoot(receipt);
    } catch (e) {
      invalid.push({ path: src.path, error: `next_root recompute failed: ${errorMessage(e)}` });
      continue;
    }
    if (pyStr(receipt.next_root).trim().toLowerCase() !== next) {
      invalid.push({ path: src.path, error: 'next_root mismatch' });
      continue;
    }
    if (options.enforceTransitionTypes && expected.transition_type_registry_digest_sha256) {
      const declared = coerceDigest(receipt.transition_type_registry_digest_sha256);
      if (declared && declared !== expected.transition_type_registry_digest_sha256) {
        invalid.push({ path: src.path, error: 'transition_type_registry_digest mismatch' });
        continue;
      }
    }
    let signers = new Set<string>();
    if (verify) {
      signers = verifiedSigners(receipt);
      if (signers.size === 0) {
        invalid.push({ path: src.path, error: 'no valid proofs' });
        continue;
      }
      if (enforceTrust && allowed.size > 0 && ![...signers].some((d) => allowed.has(d))) {
        invalid.push({ path: src.path, error: `signer not in trust anchors: [${[...signers].sort().map((d) => `'${d}'`).join(', ')}]` });
        continue;
      }
    }
    rows.push({ path: src.path, receipt, signers });
  }

  const index = groupCandidates(rows);
  const points: ForkInspectPoint[] = [];
  const slots = [...index.bySeqPrev.values()].sort((a, b) => a.sequence - b.sequence || compareCodePoints(a.prev_root, b.prev_root));
  for (const slot of slots) {
    if (slot.candidates.length <= 1) continue;
    const point: ForkInspectPoint = {
      sequence: slot.sequence,
      prev_root: slot.prev_root,
      candidates: slot.candidates.map((c) => ({
        next_root: pyStr(c.receipt.next_root),
        signer_count: c.signers.size,
        signers: [...c.signers].sort(),
        paths: [...c.paths],
      })),
      resolved: false,
    };
    const key = `${slot.sequence}\u0000${slot.prev_root}`;
    const chosen = resolutions.chosen.get(key);
    if (chosen) {
      point.chosen_next_root = chosen;
      point.resolution_sources = resolutions.sources.get(key) ?? [];
      point.resolved = point.candidates.some((c) => c.next_root === chosen);
    }
    points.push(point);
  }
  const resolvedCount = points.filter((p) => p.resolved).length;

  let head: ForkInspectReport['canonical_head'] = null;
  if (index.bySeqPrev.size > 0) {
    const walk = selectCanonicalChain(index, startSeq, startPrev, resolutions.chosen.size ? resolutions.chosen : undefined);
    warnings.push(...walk.warnings.map((w) => w.message));
    warnings.push(...walk.errors.map((e) => e.message));
    if (walk.chain.length > 0) {
      const count = startSeq + walk.chain.length;
      head = { receipt_count: count, final_state_root: pyStr(walk.chain[walk.chain.length - 1].next_root).trim().toLowerCase(), last_sequence: count - 1 };
    } else if (checkpointInfo) {
      const count = Number(checkpointInfo.receipt_count) || 0;
      head = { receipt_count: count, final_state_root: pyStr(checkpointInfo.final_state_root).trim().toLowerCase(), last_sequence: count - 1 };
    }
  }

  const recommendations: string[] = [];
  if (points.length - resolvedCount > 0) {
    recommendations.push('UNRESOLVED_FORKS: issue fork-resolution VC(s) selecting a canonical receipt per fork point; HALT corridor lifecycle until resolved.');
  }
  if (invalid.length > 0) {
    recommendations.push(
      'INVALID_RECEIPTS_PRESENT: review invalid receipt files; forensics may require signature/key rotation checks and artifact completeness checks.',
    );
  }
  return {
    type: 'MSEZCorridorForkInspectReport',
    corridor_id: expected.corridor_id,
    genesis_root: expected.genesis_root,
    from_checkpoint: checkpointInfo,
    receipts: { total: receipts.length, valid: rows.length, invalid: invalid.length, invalid_details: invalid },
    forks: { total: points.length, resolved: resolvedCount, unresolved: points.length - resolvedCount, points },
    canonical_head: head,
    recommendations,
    warnings,
    errors,
  };
}

export interface ForkResolutionCredentialInput {
  corridor_id: string;
  sequence: number;
  prev_root: string;
  chosen_next_root: string;
  issuer: string;
  /** Defaults to now (seconds, UTC). */
  resolved_at?: string;
  issuanceDate?: string;
  candidates?: string[];
  id?: string;
  now?: () => Date;
}

/**
 * An unsigned fork-resolution credential (reference `cmd_corridor_state_fork_resolve`); sign it with `addProof`
 * (one proof per resolving party).
 */
export function buildForkResolutionCredential(input: ForkResolutionCredentialInput): JsonObject {
  const now = utcSeconds((input.now ?? (() => new Date()))());
  const prev = input.prev_root.trim().toLowerCase();
  const chosen = input.chosen_next_root.trim().toLowerCase();
  if (!prev || !chosen || !input.issuer.trim()) throw new ProtocolError('invalid-fork-resolution', 'prev_root, chosen_next_root and issuer are required');
  const subject: JsonObject = {
    type: 'MSEZCorridorForkResolution',
    corridor_id: input.corridor_id,
    sequence: input.sequence,
    prev_root: prev,
    chosen_next_root: chosen,
    resolved_at: input.resolved_at ?? now,
  };
  const candidates = (input.candidates ?? []).map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
  if (candidates.length) subject.candidates = candidates.map((next_root) => ({ next_root }));
  const schemaError = firstSchemaError('corridor.fork-resolution', subject);
  if (schemaError !== undefined) throw new ProtocolError('invalid-fork-resolution', `invalid fork-resolution subject: ${schemaError}`);
  return {
    '@context': [...MSEZ_VC_CONTEXT],
    id: input.id ?? `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', 'MSEZCorridorForkResolutionCredential'],
    issuer: input.issuer,
    issuanceDate: input.issuanceDate ?? now,
    credentialSubject: subject,
  };
}

/** One of the two conflicting receipts: its raw file bytes (they are what the alarm's ArtifactRef digests) and where it is. */
export interface ForkAlarmReceipt {
  bytes: Uint8Array;
  uri: string;
}

export interface ForkAlarmInput {
  corridor_id: string;
  receipt_a: ForkAlarmReceipt;
  receipt_b: ForkAlarmReceipt;
  issuer: string;
  id?: string;
  issuanceDate?: string;
  detected_at?: string;
  now?: () => Date;
  /**
   * Check that each receipt's next_root recomputes and that it carries a valid proof (default true): an alarm is
   * evidence only when both receipts are genuine.
   */
  verifyReceipts?: boolean;
}

/**
 * An unsigned fork-alarm credential (reference `cmd_corridor_state_fork_alarm`): both receipts belong to the
 * corridor, have the same sequence and prev_root and different next_roots; each is referenced by the SHA-256 of its
 * raw file bytes (ArtifactRef `blob`). The reference reads the sequence as `int(x or -1)` and so records a fork at
 * sequence 0 as -1; here it is 0.
 */
export function buildForkAlarmCredential(input: ForkAlarmInput): JsonObject {
  const parse = (r: ForkAlarmReceipt, name: string): JsonObject => {
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(r.bytes);
    } catch {
      throw new ProtocolError('invalid-receipt', `${name} is not valid UTF-8`);
    }
    const v = parseJsonText(text);
    if (!isJsonObject(v)) throw new ProtocolError('invalid-receipt', `${name} is not a JSON object`);
    return v;
  };
  const a = parse(input.receipt_a, 'receipt-a');
  const b = parse(input.receipt_b, 'receipt-b');
  for (const [name, r] of [['receipt-a', a], ['receipt-b', b]] as const) {
    if (pyStr(r.corridor_id).trim() !== input.corridor_id) throw new ProtocolError('invalid-receipt', `${name}.corridor_id does not match the corridor`);
    if (input.verifyReceipts !== false) {
      if (computeNextRoot(r) !== r.next_root) throw new ProtocolError('invalid-receipt', `${name}: next_root mismatch`);
      if (verifiedSigners(r).size === 0) throw new ProtocolError('invalid-receipt', `${name}: no valid proofs`);
    }
  }
  const seqA = a.sequence;
  const seqB = b.sequence;
  if (typeof seqA !== 'number' || !Number.isSafeInteger(seqA) || seqA < 0) throw new ProtocolError('invalid-receipt', 'receipt-a has no valid sequence');
  if (seqA !== seqB) throw new ProtocolError('no-fork', 'receipts have different sequence');
  const prevA = pyStr(a.prev_root).trim().toLowerCase();
  if (prevA !== pyStr(b.prev_root).trim().toLowerCase()) throw new ProtocolError('no-fork', 'receipts have different prev_root');
  const nextA = pyStr(a.next_root).trim().toLowerCase();
  const nextB = pyStr(b.next_root).trim().toLowerCase();
  if (nextA === nextB) throw new ProtocolError('no-fork', 'receipts do not conflict (same next_root)');
  if (!input.issuer.trim()) throw new ProtocolError('invalid-credential', 'issuer is required');
  const now = utcSeconds((input.now ?? (() => new Date()))());
  return {
    '@context': [...MSEZ_VC_CONTEXT],
    id: input.id ?? `urn:msez:vc:corridor-fork-alarm:${input.corridor_id}:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', 'MSEZCorridorForkAlarmCredential'],
    issuer: input.issuer,
    issuanceDate: input.issuanceDate ?? now,
    credentialSubject: {
      corridor_id: input.corridor_id,
      sequence: seqA,
      prev_root: prevA,
      next_root_a: nextA,
      next_root_b: nextB,
      receipt_a: { artifact_type: 'blob', digest_sha256: sha256Hex(input.receipt_a.bytes), uri: input.receipt_a.uri },
      receipt_b: { artifact_type: 'blob', digest_sha256: sha256Hex(input.receipt_b.bytes), uri: input.receipt_b.uri },
      detected_at: input.detected_at ?? now,
    },
  };
}
