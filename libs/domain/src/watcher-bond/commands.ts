import type { DomainCommand } from '../shared/decider';
import type { Offence } from './slashing';

/**
 * Commands of a watcher's bond account. One stream per watcher (`watcher_id`, a did:key) holds its current bond
 * and its history, so a ban outlives the bond it was earned on.
 */
export type PostBond = DomainCommand<
  'PostBond',
  {
    watcher_id: string;
    bond_id: string;
    /** Decimal string: digits with an optional fraction of at most 18 digits, no sign or exponent. */
    amount: string;
    currency: string;
    /** The corridors the bond lets the watcher attest. */
    corridor_ids: string[];
  }
>;

/** A checkpoint attestation the watcher gave for a corridor in scope. */
export type RecordAttestation = DomainCommand<'RecordAttestation', { watcher_id: string; corridor_id: string; attestation_digest_sha256: string; attestation?: unknown }>;

/**
 * Slashes the bond for a proven offence. For `equivocation` the evidence is the two conflicting watcher
 * attestation credentials (`{attestations: [vc, vc]}`), verified here; for the other offences it is
 * `{incident_id, corridor_id, evidence_digest_sha256}`, the digest of the adjudicated evidence bundle.
 */
export type SlashBond = DomainCommand<'SlashBond', { watcher_id: string; offence: Offence; evidence: unknown }>;

export type TopUpBond = DomainCommand<'TopUpBond', { watcher_id: string; amount: string }>;

export type StartUnbonding = DomainCommand<'StartUnbonding', { watcher_id: string }>;

export type WithdrawBond = DomainCommand<'WithdrawBond', { watcher_id: string }>;

export type WatcherBondCommand = PostBond | RecordAttestation | SlashBond | TopUpBond | StartUnbonding | WithdrawBond;
