import { addProof, buildCheckpoint, buildWatcherAttestationCredential, type JsonObject } from '@corridor/protocol';
import { CORRIDOR_ID, minute, watcherKey } from './corridor-fixtures';
import { testKey } from './keys';

export const WATCHER = watcherKey;
export const WATCHER_ID = watcherKey.did;
export const OTHER_CORRIDOR = 'corridor:kaz-sgp-settlement-02';
export const BOND_ID = 'bond-2025-0001';
export const stranger = testKey('another watcher');

/**
 * A watcher attestation as the protocol builds it: the head of a checkpoint of `receiptCount` receipts ending in
 * `finalStateRoot`, signed by `signer`.
 */
export function watcherAttestation(receiptCount: number, finalStateRoot: string, signer = WATCHER, corridorId = CORRIDOR_ID): JsonObject {
  const checkpoint = buildCheckpoint({
    corridor_id: corridorId,
    timestamp: minute(20),
    genesis_root: 'f'.repeat(64),
    final_state_root: finalStateRoot,
    receipt_count: receiptCount,
    lawpack_digest_set: [],
    ruleset_digest_set: [],
    mmr: { size: receiptCount, root: '9'.repeat(64), peaks: [] },
  });
  const unsigned = buildWatcherAttestationCredential({
    corridor_id: corridorId,
    checkpoint,
    checkpoint_uri: `checkpoints/${receiptCount}.json`,
    issuer: signer.did,
    observed_at: minute(21),
    issuanceDate: minute(21),
    id: `urn:test:attestation:${receiptCount}:${finalStateRoot.slice(0, 8)}`,
  });
  return addProof(unsigned, signer, { created: minute(21) });
}

export const bondCommand = <T extends string>(type: T, at: string, data: object = {}) => ({ type, at, data: { watcher_id: WATCHER_ID, ...data } });

export const postBond = (at = minute(0), data: object = {}) =>
  bondCommand('PostBond', at, { bond_id: BOND_ID, amount: '1000.50', currency: 'USDC', corridor_ids: [CORRIDOR_ID, OTHER_CORRIDOR], ...data });

export const bondEvents = {
  posted: (at = minute(0), bondId = BOND_ID, amount = '1000.5') => ({
    type: 'watcher-bond.posted.v1' as const,
    data: { watcher_id: WATCHER_ID, bond_id: bondId, at, amount, currency: 'USDC', corridor_ids: [CORRIDOR_ID, OTHER_CORRIDOR] },
  }),
  attested: (count: number, at: string, digest: string, bondId = BOND_ID) => ({
    type: 'watcher-bond.attestation-recorded.v1' as const,
    data: { watcher_id: WATCHER_ID, bond_id: bondId, at, corridor_id: CORRIDOR_ID, attestation_digest_sha256: digest, attestation_count: count },
  }),
  slashedFor: (offence: string, incidentId: string, basisPoints: number, amount: string, collateral: string, remaining: string, at: string, digest: string) => ({
    type: 'watcher-bond.slashed.v1' as const,
    data: {
      watcher_id: WATCHER_ID,
      bond_id: BOND_ID,
      at,
      offence: offence as never,
      incident: `${offence}:${incidentId}`,
      basis_points: basisPoints,
      amount,
      collateral,
      remaining,
      evidence: { kind: 'evidence-bundle' as const, corridor_id: CORRIDOR_ID, incident_id: incidentId, evidence_digest_sha256: digest },
    },
  }),
  toppedUp: (amount: string, collateral: string, remaining: string, at: string) => ({
    type: 'watcher-bond.topped-up.v1' as const,
    data: { watcher_id: WATCHER_ID, bond_id: BOND_ID, at, amount, collateral, remaining },
  }),
  unbonding: (at: string, unlockAt: string, bondId = BOND_ID) => ({
    type: 'watcher-bond.unbonding-started.v1' as const,
    data: { watcher_id: WATCHER_ID, bond_id: bondId, at, unlock_at: unlockAt },
  }),
  withdrawn: (at: string, amount: string, bondId = BOND_ID) => ({
    type: 'watcher-bond.withdrawn.v1' as const,
    data: { watcher_id: WATCHER_ID, bond_id: bondId, at, amount, currency: 'USDC' },
  }),
};
