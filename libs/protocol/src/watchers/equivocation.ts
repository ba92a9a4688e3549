import { digestOf } from '../digest';
import type { JsonObject, JsonValue } from '../json/json-value';

/**
 * Evidence that a watcher attested two different digests for one corridor height (reference
 * `tools/phoenix/watcher.py`, JCS era): `{attestation_1: {digest: <first>}, attestation_2: <the second attestation>}`.
 */
export interface EquivocationEvidence {
  watcher_did: string;
  corridor_id: string;
  height: number;
  evidence_data: JsonObject;
  /** `SHA256(canonical(evidence_data))`. */
  evidence_digest_sha256: string;
}

/**
 * The evidence digest: SHA-256 of the canonical evidence. (The reference's earlier phoenix code hashed Python's
 * `json.dumps(data, sort_keys=True)` — spaces after `,` and `:`, ASCII escapes — and so produced other digests for
 * the same evidence; that form is not reproduced.)
 */
export function equivocationEvidenceDigest(evidenceData: JsonValue): string {
  return digestOf(evidenceData);
}

/**
 * Remembers the digest each watcher attested per (corridor, height); a second, different digest for the same key
 * is an equivocation. Identical repeats are not.
 */
export class EquivocationDetector {
  private readonly seen = new Map<string, string>();

  observe(attestation: { watcher_did: string; corridor_id: string; height: number; digest: string; data: JsonValue }): EquivocationEvidence | null {
    const key = JSON.stringify([attestation.watcher_did, attestation.corridor_id, attestation.height]);
    const previous = this.seen.get(key);
    if (previous === undefined) {
      this.seen.set(key, attestation.digest);
      return null;
    }
    if (previous === attestation.digest) return null;
    const evidence_data: JsonObject = { attestation_1: { digest: previous }, attestation_2: attestation.data };
    return {
      watcher_did: attestation.watcher_did,
      corridor_id: attestation.corridor_id,
      height: attestation.height,
      evidence_data,
      evidence_digest_sha256: equivocationEvidenceDigest(evidence_data),
    };
  }
}
