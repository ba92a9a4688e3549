import { coerceDigest } from '../digest';
import { compareCodePoints } from '../json/canonical';
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json-value';
import { baseDid } from '../keys/did-key';
import { utcSeconds, verifyProofs } from '../proofs/proof';
import { headCommitmentDigest } from '../receipts/commitments';
import { pyInt } from '../corridor/agreement';
import { agreementPaths, pyStr, stateChannelConfig, type CorridorModule } from '../corridor/module';
import { errorMessage, sortByPath, sourceValue } from '../chain/common';
import { validateSchema } from '../schemas/validate';
import type { FinalityLevel } from './attestation';

export const DEFAULT_MAX_STALENESS_SECONDS = 3600;

/** An attestation credential as handed to the comparison: its file path and text (or parsed value). */
export interface AttestationSource {
  path: string;
  text?: string;
  value?: JsonValue;
}

/** A watcher-quorum policy (from the agreement's `state_channel.watcher_quorum`). */
export interface WatcherQuorumPolicy {
  mode?: 'optional' | 'required';
  /** `majority` or `K/N` (N = 0: the number of watchers seen). */
  threshold?: string;
  max_staleness_seconds?: number;
}

export interface WatcherCompareInput {
  corridor_id: string;
  attestations: readonly AttestationSource[];
  /** The comparison's clock (attestations older than max staleness are stale). Defaults to the current time. */
  now?: Date;
  /** Seconds, or a duration (`30s`, `15m`, `2h`, `7d`, `PT1H30M`, `P1D`); default: the policy's, else 3600. */
  max_staleness?: number | string;
  /** `majority` (default) or `K/N`; default: the policy's. */
  threshold?: string;
  fail_on_lag?: boolean;
  require_quorum?: boolean;
  policy?: WatcherQuorumPolicy;
  /** Notes about the policy (e.g. agreements disagreeing), reported as `policy_warning` divergences. */
  policy_warnings?: string[];
  /** A watcher allow-list (authority registry): only attestations signed by one of these DIDs count, and N is its size. */
  allowed_watchers?: readonly string[];
}

export interface WatcherCompareEntry {
  path: string;
  watcher_did: string;
  issuer: string;
  signers: string[];
  proof_ok: true;
  authorized: boolean;
  observed_at: string;
  stale: boolean;
  staleness_seconds: number;
  finality_level: string;
  receipt_count: number;
  final_state_root: string;
  mmr_root: string;
  genesis_root: string;
  head_commitment_digest_sha256: string;
  checkpoint_digest_sha256: string;
  checkpoint_resolved_path: string;
  included_in_quorum: boolean;
}

export interface WatcherForkPoint {
  receipt_count: number;
  branches: { final_state_root: string; watchers: string[]; vc_paths: string[] }[];
}

export interface WatcherCompareReport {
  type: 'MSEZWatcherCompareResult';
  corridor_id: string;
  analysis_timestamp: string;
  summary: {
    total_attestations: number;
    valid_attestations: number;
    fresh_attestations: number;
    distinct_watchers: number;
    max_receipt_count: number;
    min_receipt_count: number;
  };
  attestations: WatcherCompareEntry[];
  divergences: { type: string; severity: 'critical' | 'warn' | 'info'; message: string; details: JsonObject }[];
  quorum: {
    threshold: string;
    required: number;
    of: number;
    max_staleness_seconds: number;
    fresh_watchers: number;
    agreeing_watchers: number;
    reached: boolean;
    finality_level: FinalityLevel;
    agreed_head: { receipt_count: number; final_state_root: string; mmr_root: string; head_commitment_digest_sha256: string } | Record<string, never>;
    require_quorum: boolean;
  };
  fork_detected: boolean;
  lag_detected: boolean;
  max_receipt_count: number;
  fork_points: WatcherForkPoint[];
  warnings: string[];
  errors: string[];
}

export interface WatcherCompareResult {
  /** 0 = agreement (or lag tolerated), 1 = lag with fail_on_lag or quorum required and missed, 2 = fork-like divergence or no valid attestation. */
  exit_code: 0 | 1 | 2;
  report: WatcherCompareReport;
}

/**
 * Compares watcher attestations (reference `cmd_corridor_state_watcher_compare`).
 *
 * An attestation counts when it is schema-valid, has at least one valid proof (from an allowed watcher, when an
 * allow-list is given), names this corridor and a head (receipt_count > 0, final_state_root). It is stale when its
 * `observed_at` is unreadable or older than the staleness window. Over the fresh ones:
 * - fork-like divergence: one receipt_count, two or more final_state_roots (critical; no quorum; exit 2);
 * - lag: more than one receipt_count (a warning; exit 1 only with fail_on_lag);
 * - quorum: attestations grouped by head commitment digest (recomputed when the stated one differs); the largest group
 *   of distinct watchers (issuer DID, else first signer) must reach the threshold — majority = floor(N/2)+1 with N
 *   the distinct watchers among all valid attestations (or the allow-list's size), or K of `K/N`;
 * - finality_level: `watcher_quorum` when reached, else `checkpoint_signed` when any fresh attestation, else
 *   `receipt_signed`.
 */
export function compareWatcherAttestations(input: WatcherCompareInput): WatcherCompareResult {
  const now = input.now ?? new Date();
  const policy = input.policy ?? {};
  let maxStaleness = input.max_staleness === undefined ? 0 : parseDurationToSeconds(input.max_staleness);
  if (!maxStaleness) maxStaleness = policy.max_staleness_seconds ?? 0;
  if (!maxStaleness) maxStaleness = DEFAULT_MAX_STALENESS_SECONDS;
  const thresholdStr = (input.threshold ?? '').trim() || (policy.threshold ?? '').trim() || 'majority';
  const requireQuorum = Boolean(input.require_quorum) || policy.mode === 'required';
  const allowed = input.allowed_watchers && input.allowed_watchers.length > 0 ? new Set(input.allowed_watchers.map((d) => baseDid(d))) : undefined;

  const warns: string[] = [];
  const errors: string[] = [];
  const entries: WatcherCompareEntry[] = [];
  for (const src of sortByPath(input.attestations)) {
    let vc: JsonValue;
    try {
      vc = sourceValue(src);
    } catch (e) {
      warns.push(`${src.path}: unreadable JSON: ${errorMessage(e)}`);
      continue;
    }
    if (!isJsonObject(vc)) {
      warns.push(`${src.path}: VC must be a JSON object`);
      continue;
    }
    const schema = validateSchema('vc.corridor-watcher-attestation', vc);
    if (!schema.ok) {
      warns.push(`${src.path}: schema invalid: ${schema.errors[0]}`);
      continue;
    }
    const okMethods = verifyProofs(vc).filter((r) => r.ok).map((r) => r.verificationMethod);
    if (okMethods.length === 0) {
      warns.push(`${src.path}: invalid VC signature(s)`);
      continue;
    }
    const signers = [...new Set(okMethods.map((vm) => baseDid(vm)).filter((d) => d !== ''))].sort();
    if (allowed && !signers.some((s) => allowed.has(s))) {
      warns.push(`${src.path}: signer(s) [${signers.map((s) => `'${s}'`).join(', ')}] not authorized for corridor_watcher_attestation by authority registry`);
      continue;
    }
    const cs = vc.credentialSubject as JsonObject;
    const cid = pyStr(cs.corridor_id).trim();
    if (cid && cid !== input.corridor_id) {
      warns.push(`${src.path}: corridor_id mismatch (VC=${cid} vs module=${input.corridor_id})`);
      continue;
    }
    const receiptCount = pyInt(cs.receipt_count) ?? 0;
    const finalStateRoot = pyStr(cs.final_state_root).trim().toLowerCase();
    const mmrRoot = pyStr(cs.mmr_root).trim().toLowerCase();
    const genesisRoot = pyStr(cs.genesis_root).trim().toLowerCase();
    const observedAt = pyStr(cs.observed_at).trim();
    let checkpointDigestValue = '';
    try {
      checkpointDigestValue = coerceDigest(cs.checkpoint_digest_sha256);
    } catch {
      checkpointDigestValue = '';
    }
    const providedHead = pyStr(cs.head_commitment_digest_sha256).trim().toLowerCase();
    if (receiptCount <= 0 || !finalStateRoot) {
      warns.push(`${src.path}: missing receipt_count/final_state_root`);
      continue;
    }
    const observed = parseIsoTimestamp(observedAt);
    let stalenessSeconds = 0;
    let stale = false;
    if (observed === undefined) {
      stale = true;
    } else {
      stalenessSeconds = Math.trunc((now.getTime() - observed) / 1000);
      stale = maxStaleness > 0 && stalenessSeconds > maxStaleness;
    }
    const computedHead = headCommitmentDigest({
      corridor_id: input.corridor_id,
      genesis_root: genesisRoot,
      receipt_count: receiptCount,
      final_state_root: finalStateRoot,
      mmr_root: mmrRoot,
    });
    let headDigest = providedHead || computedHead;
    if (providedHead && providedHead !== computedHead) {
      warns.push(`${src.path}: head_commitment_digest_sha256 does not match computed value; using computed`);
      headDigest = computedHead;
    }
    const issuer = baseDid(issuerId(vc));
    entries.push({
      path: src.path,
      watcher_did: issuer || (signers[0] ?? ''),
      issuer,
      signers,
      proof_ok: true,
      authorized: !allowed || signers.some((s) => allowed.has(s)),
      observed_at: observedAt,
      stale,
      staleness_seconds: stalenessSeconds,
      finality_level: pyStr(cs.finality_level).trim(),
      receipt_count: receiptCount,
      final_state_root: finalStateRoot,
      mmr_root: mmrRoot,
      genesis_root: genesisRoot,
      head_commitment_digest_sha256: headDigest,
      checkpoint_digest_sha256: checkpointDigestValue,
      checkpoint_resolved_path: '',
      included_in_quorum: false,
    });
  }

  if (entries.length === 0) errors.push('no valid watcher attestations found');

  const fresh = entries.filter((e) => !e.stale);
  const byCount = new Map<number, WatcherCompareEntry[]>();
  for (const e of fresh) byCount.set(e.receipt_count, [...(byCount.get(e.receipt_count) ?? []), e]);
  const forkPointsList: WatcherForkPoint[] = [];
  for (const rc of [...byCount.keys()].sort((a, b) => a - b)) {
    const byRoot = new Map<string, WatcherCompareEntry[]>();
    for (const e of byCount.get(rc)!) byRoot.set(e.final_state_root, [...(byRoot.get(e.final_state_root) ?? []), e]);
    if (byRoot.size > 1) {
      forkPointsList.push({
        receipt_count: rc,
        branches: [...byRoot.keys()].sort(compareCodePoints).map((root) => {
          const el = byRoot.get(root)!;
          return {
            final_state_root: root,
            watchers: [...new Set(el.flatMap((e) => e.signers))].sort(),
            vc_paths: el.map((e) => e.path),
          };
        }),
      });
    }
  }
  const forkDetected = forkPointsList.length > 0;
  const lagDetected = byCount.size > 1;

  const byHead = new Map<string, WatcherCompareEntry[]>();
  for (const e of fresh) {
    if (!e.head_commitment_digest_sha256) continue;
    byHead.set(e.head_commitment_digest_sha256, [...(byHead.get(e.head_commitment_digest_sha256) ?? []), e]);
  }
  const distinct = (list: WatcherCompareEntry[]) => [...new Set(list.map((e) => e.watcher_did).filter((d) => d !== ''))];
  const universe = allowed ? allowed.size : distinct(entries).length;
  const quorum = parseThreshold(thresholdStr, universe);

  let agreedHead: WatcherCompareReport['quorum']['agreed_head'] = {};
  let agreeing = 0;
  let bestHead = '';
  for (const [hd, ents] of byHead) {
    const w = distinct(ents).length;
    if (w > agreeing) {
      agreeing = w;
      bestHead = hd;
      const sample = [...ents].sort((a, b) => b.receipt_count - a.receipt_count)[0];
      agreedHead = { receipt_count: sample.receipt_count, final_state_root: sample.final_state_root, mmr_root: sample.mmr_root, head_commitment_digest_sha256: hd };
    }
  }
  let reached = quorum.required ? agreeing >= quorum.required : false;
  if (forkDetected) reached = false;
  if (bestHead) for (const e of entries) if (e.head_commitment_digest_sha256 === bestHead && !e.stale) e.included_in_quorum = true;

  const divergences: WatcherCompareReport['divergences'] = [];
  if (forkDetected) {
    divergences.push({
      type: 'fork_like_divergence',
      severity: 'critical',
      message: 'Multiple watcher heads at the same receipt_count with different final_state_root',
      details: { fork_points: forkPointsList as unknown as JsonValue[] },
    });
  }
  if (lagDetected && !forkDetected) {
    divergences.push({
      type: 'lag_divergence',
      severity: 'warn',
      message: 'Watchers are out-of-sync on receipt_count (lag)',
      details: { receipt_counts: [...byCount.keys()].sort((a, b) => a - b) },
    });
  }
  for (const [hd, ents] of byHead) {
    const cds = [...new Set(ents.map((e) => e.checkpoint_digest_sha256).filter((d) => d !== ''))].sort();
    if (cds.length > 1) {
      divergences.push({
        type: 'checkpoint_digest_divergence',
        severity: 'info',
        message: 'Watchers reference different checkpoint digests for the same head (likely timestamp/proof metadata differences)',
        details: { head_commitment_digest_sha256: hd, checkpoint_digests: cds },
      });
    }
  }
  if (fresh.length === 0) {
    divergences.push({
      type: 'no_fresh_attestations',
      severity: 'warn',
      message: 'No watcher attestations are within the staleness window',
      details: { max_staleness_seconds: maxStaleness },
    });
  }
  for (const w of input.policy_warnings ?? []) divergences.push({ type: 'policy_warning', severity: 'info', message: w, details: {} });

  const counts = entries.map((e) => e.receipt_count);
  const summary = {
    total_attestations: input.attestations.length,
    valid_attestations: entries.length,
    fresh_attestations: fresh.length,
    distinct_watchers: distinct(entries).length,
    max_receipt_count: counts.length ? Math.max(...counts) : 0,
    min_receipt_count: counts.length ? Math.min(...counts) : 0,
  };
  const report: WatcherCompareReport = {
    type: 'MSEZWatcherCompareResult',
    corridor_id: input.corridor_id,
    analysis_timestamp: utcSeconds(now),
    summary,
    attestations: entries,
    divergences,
    quorum: {
      threshold: quorum.label || thresholdStr,
      required: quorum.required,
      of: quorum.of,
      max_staleness_seconds: maxStaleness,
      fresh_watchers: distinct(fresh).length,
      agreeing_watchers: agreeing,
      reached,
      finality_level: reached ? 'watcher_quorum' : fresh.length > 0 ? 'checkpoint_signed' : 'receipt_signed',
      agreed_head: agreedHead,
      require_quorum: requireQuorum,
    },
    fork_detected: forkDetected,
    lag_detected: lagDetected,
    max_receipt_count: summary.max_receipt_count,
    fork_points: forkPointsList,
    warnings: warns,
    errors,
  };
  let exit: 0 | 1 | 2 = 0;
  if (errors.length > 0 || forkDetected) exit = 2;
  else if (lagDetected && input.fail_on_lag) exit = 1;
  else if (requireQuorum && !reached) exit = 1;
  return { exit_code: exit, report };
}

function issuerId(vc: JsonObject): string {
  const iss = vc.issuer;
  if (typeof iss === 'string') return iss;
  if (isJsonObject(iss)) return pyStr(iss.id);
  return '';
}

function parseThreshold(thr: string, universe: number): { required: number; of: number; label: string } {
  const t = thr.trim().toLowerCase() || 'majority';
  const majority = { required: universe > 0 ? Math.floor(universe / 2) + 1 : 0, of: universe, label: 'majority' };
  if (t === 'majority' || t === 'maj') return majority;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(t);
  if (m) {
    const req = Number(m[1]);
    const den = Number(m[2]);
    return { required: req, of: den > 0 ? den : universe, label: `${req}/${den}` };
  }
  return majority;
}

/**
 * Durations as the reference reads them: plain seconds, `30s`/`15m`/`2h`/`7d`, `PnD`, `PTnHnMnS`. 0 when empty or
 * unreadable.
 */
export function parseDurationToSeconds(value: number | string | undefined | null): number {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? Math.trunc(value) : 0;
  const raw = String(value ?? '').trim();
  if (!raw) return 0;
  if (/^\d+$/.test(raw)) return Number(raw);
  let m = /^\s*(\d+)\s*([smhd])\s*$/i.exec(raw);
  if (m) return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[m[2].toLowerCase() as 's' | 'm' | 'h' | 'd'];
  m = /^\s*P(\d+)D\s*$/i.exec(raw);
  if (m) return Number(m[1]) * 86400;
  m = /^\s*PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?\s*$/i.exec(raw);
  if (m) return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
  return 0;
}

/**
 * Milliseconds since the epoch of an ISO 8601 / RFC 3339 timestamp (a trailing `Z` or an offset; none means UTC, as
 * in the reference), or undefined when unreadable.
 */
export function parseIsoTimestamp(value: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', tz] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Math.trunc(Number((frac + '000000').slice(0, 6)) / 1000));
  const check = new Date(ms);
  if (check.getUTCFullYear() !== Number(y) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  let offsetMinutes = 0;
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  return ms - offsetMinutes * 60_000;
}

/**
 * The watcher-quorum policy of a corridor's agreement credentials (`credentialSubject.state_channel.watcher_quorum`:
 * `mode`, `threshold` or `required`/`of`, `max_staleness` as seconds or a duration). The first agreement that states
 * one wins; a disagreeing other agreement adds a warning.
 */
export function watcherQuorumPolicy(module: CorridorModule): { policy: WatcherQuorumPolicy; warnings: string[] } {
  const found: WatcherQuorumPolicy[] = [];
  for (const rel of agreementPaths(module.manifest)) {
    const vc = module.agreementVcs[rel];
    if (!vc) continue;
    const cs = isJsonObject(vc.credentialSubject) ? vc.credentialSubject : {};
    const wq = stateChannelConfig(cs).watcher_quorum;
    if (!isJsonObject(wq) || Object.keys(wq).length === 0) continue;
    const pol: WatcherQuorumPolicy = {};
    const mode = pyStr(wq.mode).trim() || 'optional';
    pol.mode = mode === 'required' ? 'required' : 'optional';
    const thr = pyStr(wq.threshold).trim();
    const req = pyInt(wq.required) ?? 0;
    const of = pyInt(wq.of) ?? 0;
    if (thr) pol.threshold = thr;
    else if (req && of) pol.threshold = `${req}/${of}`;
    else if (req) pol.threshold = `${req}/0`;
    const ms = wq.max_staleness;
    if (typeof ms === 'number') pol.max_staleness_seconds = Math.trunc(ms);
    else if (typeof ms === 'string') {
      const sec = parseDurationToSeconds(ms);
      if (sec) pol.max_staleness_seconds = sec;
    } else if (wq.max_staleness_seconds !== undefined && wq.max_staleness_seconds !== null) {
      const sec = pyInt(wq.max_staleness_seconds);
      if (sec !== undefined) pol.max_staleness_seconds = sec;
    }
    found.push(pol);
  }
  if (found.length === 0) return { policy: {}, warnings: [] };
  const same = (a: WatcherQuorumPolicy, b: WatcherQuorumPolicy) => a.mode === b.mode && a.threshold === b.threshold && a.max_staleness_seconds === b.max_staleness_seconds;
  const warnings = found.slice(1).some((p) => !same(p, found[0])) ? ['agreement watcher_quorum policies differ across agreement_vc_path; using the first policy'] : [];
  return { policy: found[0], warnings };
}
