import type { Versioned } from '../shared/decider';

/**
 * NONE: no bond (never posted, or withdrawn). ACTIVE: may attest. SLASHED: stake exhausted, may not attest until
 * topped up. UNBONDING: waiting for the unlock time. BANNED: may never bond again (terminal).
 */
export type BondStatus = 'NONE' | 'ACTIVE' | 'SLASHED' | 'UNBONDING' | 'BANNED';
export const BOND_STATUSES: readonly BondStatus[] = ['NONE', 'ACTIVE', 'SLASHED', 'UNBONDING', 'BANNED'];

export interface Bond {
  bond_id: string;
  currency: string;
  corridor_ids: string[];
  posted_at: string;
  /** Everything deposited (posted plus top-ups), canonical decimal string. */
  collateral: string;
  /** Everything slashed so far. */
  slashed: string;
  /** collateral − slashed: never negative. */
  remaining: string;
  attestation_count: number;
  unlock_at: string | null;
}

export interface WatcherBondState extends Versioned {
  watcher_id: string | null;
  status: BondStatus;
  bond: Bond | null;
  /** Every bond id this watcher has used: a new bond needs a new id. */
  bond_ids: string[];
  /** Incidents already slashed (each is slashed once). */
  slashed_incidents: string[];
  /** Why and when the watcher was banned; null unless BANNED. */
  ban: { offence: string; incident: string; at: string } | null;
  updated_at: string | null;
}

export function initialWatcherBondState(): WatcherBondState {
  return { version: 0, watcher_id: null, status: 'NONE', bond: null, bond_ids: [], slashed_incidents: [], ban: null, updated_at: null };
}
