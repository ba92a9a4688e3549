import type { JsonObject } from '@corridor/protocol';
import type { DomainEvent } from '../shared/decider';
import type { EvidenceRecord } from '../shared/credentials';
import type { Offence } from './slashing';

/** Stable event names of the watcher bond aggregate (hashed into its receipts: never rename one). */
export const WATCHER_BOND_EVENT_TYPES = {
  posted: 'watcher-bond.posted.v1',
  attestationRecorded: 'watcher-bond.attestation-recorded.v1',
  slashed: 'watcher-bond.slashed.v1',
  banned: 'watcher-bond.banned.v1',
  toppedUp: 'watcher-bond.topped-up.v1',
  unbondingStarted: 'watcher-bond.unbonding-started.v1',
  withdrawn: 'watcher-bond.withdrawn.v1',
} as const;

export interface BondPostedData {
  watcher_id: string;
  bond_id: string;
  at: string;
  amount: string;
  currency: string;
  corridor_ids: string[];
}

export interface AttestationRecordedData {
  watcher_id: string;
  bond_id: string;
  at: string;
  corridor_id: string;
  attestation_digest_sha256: string;
  attestation_count: number;
  /** The attestation credential itself, when the node received it (read models count quorum from it). */
  attestation?: JsonObject;
}

/** What proved the offence: the verified conflicting attestations, or the digest of an adjudicated bundle. */
export type SlashEvidence =
  | { kind: 'conflicting-attestations'; corridor_id: string; receipt_count: number; attestations: EvidenceRecord[] }
  | { kind: 'evidence-bundle'; corridor_id: string; incident_id: string; evidence_digest_sha256: string };

export interface BondSlashedData {
  watcher_id: string;
  bond_id: string;
  at: string;
  offence: Offence;
  /** Identifies the incident so it is never slashed twice. */
  incident: string;
  basis_points: number;
  amount: string;
  collateral: string;
  remaining: string;
  evidence: SlashEvidence;
}

export interface WatcherBannedData {
  watcher_id: string;
  at: string;
  offence: Offence;
  incident: string;
}

export interface BondToppedUpData {
  watcher_id: string;
  bond_id: string;
  at: string;
  amount: string;
  collateral: string;
  remaining: string;
}

export interface UnbondingStartedData {
  watcher_id: string;
  bond_id: string;
  at: string;
  unlock_at: string;
}

export interface BondWithdrawnData {
  watcher_id: string;
  bond_id: string;
  at: string;
  amount: string;
  currency: string;
}

type T = typeof WATCHER_BOND_EVENT_TYPES;
export type WatcherBondEvent =
  | DomainEvent<T['posted'], BondPostedData>
  | DomainEvent<T['attestationRecorded'], AttestationRecordedData>
  | DomainEvent<T['slashed'], BondSlashedData>
  | DomainEvent<T['banned'], WatcherBannedData>
  | DomainEvent<T['toppedUp'], BondToppedUpData>
  | DomainEvent<T['unbondingStarted'], UnbondingStartedData>
  | DomainEvent<T['withdrawn'], BondWithdrawnData>;
