import { ProtocolError } from '../errors';
import { canonicalize, compareCodePoints } from '../json/canonical';
import { parseJsonText } from '../json/json-text';
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json-value';
import { baseDid } from '../keys/did-key';
import { proofList, verifyProofs } from '../proofs/proof';
import { pyInt } from '../corridor/agreement';
import { pyStr } from '../corridor/module';
import { validateSchema } from '../schemas/validate';
import type { ChainWarning, ForkPoint, ForkResolutionSource } from './types';

/** Parses a source given as text (the protocol's JSON-text rules apply) or takes its value. */
export function sourceValue(source: { text?: string; value?: JsonValue }): JsonValue {
  if (source.text !== undefined) return parseJsonText(source.text);
  if (source.value === undefined) throw new ProtocolError('invalid-json', 'neither text nor value given');
  return source.value;
}

/** The reference's `_canonical_file_bytes_match`: the file is the canonical bytes, or them plus one LF. */
export function isCanonicalText(text: string, value: JsonValue): boolean {
  const canon = canonicalize(value);
  return text === canon || text === canon + '\n';
}

/** Base DIDs of the proofs that verify (the reference's `_verified_base_dids`). */
export function verifiedSigners(doc: JsonObject, options: { untilFirstValid?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  for (const r of verifyProofs(doc, options)) if (r.ok && r.verificationMethod) out.add(baseDid(r.verificationMethod));
  return out;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Sorts sources by path (code points), as the reference lists a directory with `sorted(glob('*.json'))`. */
export function sortByPath<T extends { path: string }>(sources: readonly T[]): T[] {
  return [...sources].sort((a, b) => compareCodePoints(a.path, b.path));
}

export interface ReceiptRow {
  path: string;
  receipt: JsonObject;
  signers: Set<string>;
}

/** Receipts sharing (sequence, prev_root, next_root): one logical receipt with the union of proofs and signers. */
export interface Candidate {
  receipt: JsonObject;
  signers: Set<string>;
  paths: string[];
}

export interface CandidateIndex {
  /** Keyed by `seqPrevKey(sequence, prev_root)`, in first-seen order. */
  bySeqPrev: Map<string, { sequence: number; prev_root: string; candidates: Candidate[] }>;
}

export function seqPrevKey(sequence: number, prevRoot: string): string {
  return `${sequence}\u0000${prevRoot}`;
}

/**
 * Merges duplicates (reference `_group_receipt_candidates` + `_merge_proofs`): the same (sequence, prev_root,
 * next_root) seen several times is one candidate; proofs are unioned without repeating a (verificationMethod, jws)
 * pair (one proof stays an object, several become an array), signers and paths are unioned. Duplicates are never
 * forks.
 */
export function groupCandidates(rows: readonly ReceiptRow[]): CandidateIndex {
  const grouped = new Map<string, Candidate>();
  const bySeqPrev: CandidateIndex['bySeqPrev'] = new Map();
  for (const row of rows) {
    const sequence = Number(row.receipt.sequence);
    const prev = pyStr(row.receipt.prev_root);
    const next = pyStr(row.receipt.next_root);
    const key = `${seqPrevKey(sequence, prev)}\u0000${next}`;
    const existing = grouped.get(key);
    if (existing) {
      existing.paths.push(row.path);
      for (const s of row.signers) existing.signers.add(s);
      mergeProofs(existing.receipt, row.receipt.proof);
      continue;
    }
    const cand: Candidate = { receipt: { ...row.receipt }, signers: new Set(row.signers), paths: [row.path] };
    grouped.set(key, cand);
    const sp = seqPrevKey(sequence, prev);
    let slot = bySeqPrev.get(sp);
    if (!slot) {
      slot = { sequence, prev_root: prev, candidates: [] };
      bySeqPrev.set(sp, slot);
    }
    slot.candidates.push(cand);
  }
  return { bySeqPrev };
}

function mergeProofs(target: JsonObject, other: JsonValue | undefined): void {
  const all = [...proofList(target), ...proofList({ proof: other ?? null })].filter(isJsonObject);
  const seen = new Set<string>();
  const merged: JsonObject[] = [];
  for (const p of all) {
    const key = `${pyStr(p.verificationMethod)}\u0000${pyStr(p.jws)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    merged.push(p);
  }
  if (merged.length === 0) return;
  target.proof = merged.length === 1 ? merged[0] : merged;
}

export interface ForkResolutionMap {
  chosen: Map<string, string>;
  sources: Map<string, string[]>;
  errors: string[];
}

/**
 * Loads fork resolutions (reference `_load_fork_resolution_map_with_sources`): a raw `MSEZCorridorForkResolution`
 * or any credential whose `credentialSubject` is an object; the subject's corridor_id (when present) must be this
 * corridor; `(sequence, prev_root) → chosen_next_root`; two resolutions choosing differently for one point conflict.
 *
 * Beyond the reference: a resolution that carries proofs must have at least one valid proof (a forged signature is
 * an error, not an unsigned resolution), and with `requireSigned` a resolution without a valid proof is refused.
 */
export function loadForkResolutions(
  sources: readonly ForkResolutionSource[] | undefined,
  corridorId: string,
  options: { requireSigned?: boolean } = {},
): ForkResolutionMap {
  const chosen = new Map<string, string>();
  const srcs = new Map<string, string[]>();
  const errors: string[] = [];
  for (const src of sortByPath(sources ?? [])) {
    let obj: JsonValue;
    try {
      obj = sourceValue(src);
    } catch (e) {
      errors.push(`fork-resolution load failed: ${src.path}: ${errorMessage(e)}`);
      continue;
    }
    let subj: JsonObject;
    if (isJsonObject(obj) && obj.type === 'MSEZCorridorForkResolution') subj = obj;
    else if (isJsonObject(obj) && isJsonObject(obj.credentialSubject)) subj = obj.credentialSubject;
    else {
      errors.push(`fork-resolution unsupported shape (expected raw or VC): ${src.path}`);
      continue;
    }
    const hasProof = isJsonObject(obj) && obj.proof !== undefined;
    if (hasProof || options.requireSigned) {
      let signed = false;
      try {
        signed = verifiedSigners(obj as JsonObject).size > 0;
      } catch {
        signed = false;
      }
      if (!signed) {
        errors.push(`fork-resolution has no valid proof: ${src.path}`);
        continue;
      }
    }
    const cid = pyStr(subj.corridor_id).trim();
    if (corridorId && cid && cid !== corridorId) {
      errors.push(`fork-resolution corridor_id mismatch: ${src.path}: expected ${corridorId}, got ${cid}`);
    }
    const seq = pyInt(subj.sequence);
    if (seq === undefined) {
      errors.push(`fork-resolution missing/invalid sequence: ${src.path}`);
      continue;
    }
    const prev = pyStr(subj.prev_root).trim();
    const next = pyStr(subj.chosen_next_root).trim();
    if (!prev || !next) {
      errors.push(`fork-resolution missing prev_root/ chosen_next_root: ${src.path}`);
      continue;
    }
    const key = seqPrevKey(seq, prev);
    const previous = chosen.get(key);
    if (previous !== undefined && previous !== next) {
      errors.push(`fork-resolution duplicate conflict for (seq=${seq}, prev_root=${prev}): ${src.path} chooses ${next}, previously ${previous}`);
      continue;
    }
    chosen.set(key, next);
    const list = srcs.get(key) ?? [];
    list.push(src.path);
    srcs.set(key, list);
  }
  return { chosen, sources: srcs, errors };
}

export interface SelectionIssue {
  check: 'fork' | 'fork-resolution-unknown-candidate';
  message: string;
}

/**
 * Walks the chain from (startSeq, startPrev) (reference `_select_canonical_chain`): one candidate is taken; several
 * are a fork and need a resolution naming one of them. Stops at the first gap. Receipts left at the head sequence
 * with another prev_root are reported as orphans.
 */
export function selectCanonicalChain(
  index: CandidateIndex,
  startSeq: number,
  startPrev: string,
  resolutions: Map<string, string> | undefined,
): { chain: JsonObject[]; warnings: ChainWarning[]; errors: SelectionIssue[] } {
  const chain: JsonObject[] = [];
  const warnings: ChainWarning[] = [];
  const errors: SelectionIssue[] = [];
  let seq = startSeq;
  let prev = startPrev;
  for (;;) {
    const cands = index.bySeqPrev.get(seqPrevKey(seq, prev))?.candidates ?? [];
    if (cands.length === 0) break;
    let chosen: Candidate;
    if (cands.length === 1) {
      chosen = cands[0];
    } else {
      const want = resolutions?.get(seqPrevKey(seq, prev));
      if (!want) {
        errors.push({
          check: 'fork',
          message: `fork detected at sequence ${seq} prev_root=${prev} (candidates=${cands.length}). A fork resolution must select the canonical receipt.`,
        });
        break;
      }
      const matches = cands.filter((c) => pyStr(c.receipt.next_root) === want);
      if (matches.length !== 1) {
        errors.push({
          check: 'fork-resolution-unknown-candidate',
          message: `fork-resolution selects next_root=${want} for (seq=${seq}, prev_root=${prev}) but it was not found among candidates: [${cands.map((c) => `'${pyStr(c.receipt.next_root)}'`).join(', ')}]`,
        });
        break;
      }
      chosen = matches[0];
      warnings.push({ code: 'fork-resolved', message: `fork resolved at seq=${seq} prev_root=${prev} -> next_root=${want}` });
    }
    chain.push(chosen.receipt);
    prev = pyStr(chosen.receipt.next_root);
    seq += 1;
  }
  const orphanPrevs = [...index.bySeqPrev.values()].filter((s) => s.sequence === seq && s.prev_root !== prev).map((s) => s.prev_root);
  if (orphanPrevs.length > 0) {
    warnings.push({
      code: 'orphans-at-head',
      message: `unreachable receipts exist at sequence ${seq} with non-matching prev_root values (possible alternate fork branches): [${[...new Set(orphanPrevs)].sort().map((p) => `'${p}'`).join(', ')}]`,
    });
  }
  return { chain, warnings, errors };
}

/** Fork points of a candidate index, sorted by (sequence, prev_root), with their resolution state. */
export function forkPoints(index: CandidateIndex, resolutions: Map<string, string> | undefined): ForkPoint[] {
  const out: ForkPoint[] = [];
  const slots = [...index.bySeqPrev.values()].sort((a, b) => a.sequence - b.sequence || compareCodePoints(a.prev_root, b.prev_root));
  for (const slot of slots) {
    if (slot.candidates.length <= 1) continue;
    const candidates = slot.candidates.map((c) => pyStr(c.receipt.next_root));
    const chosen = resolutions?.get(seqPrevKey(slot.sequence, slot.prev_root));
    const point: ForkPoint = { sequence: slot.sequence, prev_root: slot.prev_root, candidates, resolved: false };
    if (chosen) {
      point.chosen_next_root = chosen;
      point.resolved = candidates.includes(chosen);
    }
    out.push(point);
  }
  return out;
}

/** Validates against a schema and returns the first violation as a message, or undefined. */
export function firstSchemaError(name: Parameters<typeof validateSchema>[0], value: unknown): string | undefined {
  const v = validateSchema(name, value);
  return v.ok ? undefined : v.errors[0];
}
