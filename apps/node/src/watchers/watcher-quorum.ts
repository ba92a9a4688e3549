import type { StoredAttestation } from './attestation.store';

/** The head a quorum reached: the highest height at least `required` distinct watchers attested (or passed). */
export interface QuorumHead {
  receipt_count: number;
  required: number;
  /** The watchers counted, with the attestation each is counted by (its highest matching one). */
  voters: StoredAttestation[];
}

/**
 * Every attestation counted here matched this node's own chain at its height, so a watcher that attested height h
 * vouches for every prefix of it too (MMR consistency): the quorum head is the `required`-th highest of the
 * watchers' latest matching heights.
 */
export function quorumHead(latest: readonly StoredAttestation[], required: number): QuorumHead | null {
  if (required < 1 || latest.length < required) return null;
  const sorted = [...latest].sort((a, b) => b.receipt_count - a.receipt_count || (a.watcher < b.watcher ? -1 : 1));
  const head = sorted[required - 1]!.receipt_count;
  return { receipt_count: head, required, voters: sorted.filter((a) => a.receipt_count >= head) };
}

/** K of the agreement's `watcher_quorum` policy when it states one, else a majority of the bonded watchers. */
export function requiredWatchers(policyThreshold: string | undefined, bonded: number): number {
  const k = policyThreshold ? Number(policyThreshold.split('/')[0]) : NaN;
  if (Number.isSafeInteger(k) && k >= 1) return k;
  return Math.floor(bonded / 2) + 1;
}
