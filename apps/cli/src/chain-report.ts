import type { ChainExpectations, ChainVerification, JsonObject } from '@corridor/protocol';

/** The verification report every chain command prints (module/receipts mode and bundle mode alike). */
export function chainReport(expected: ChainExpectations, v: ChainVerification): JsonObject {
  const r = v.result;
  return {
    valid: v.valid,
    corridor_id: expected.corridor_id,
    genesis_root: expected.genesis_root,
    receipt_count: r ? r.receipt_count : null,
    final_state_root: r ? r.final_state_root : null,
    mmr: r ? { size: r.mmr.size, root: r.mmr.root, peaks: r.mmr.peaks.map((p) => ({ height: p.height, hash: p.hash })) } : null,
    transition_type_registry_digest_sha256: expected.transition_type_registry_digest_sha256,
    forks: v.forks.map((f) => ({ ...f, candidates: [...f.candidates] })),
    warnings: v.warnings.map((w) => ({ ...w })),
    errors: v.errors.map((e) => ({ ...e })),
  } as JsonObject;
}
