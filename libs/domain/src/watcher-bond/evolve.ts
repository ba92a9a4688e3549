import { evolveWith } from '../shared/decider';
import { formatAmount, parseAmount } from '../shared/decimal';
import type { WatcherBondEvent } from './events';
import type { Bond, WatcherBondState } from './state';

const units = (amount: string) => parseAmount(amount, 'amount', { allowZero: true });

function withBond(state: WatcherBondState, change: Partial<Bond>): Bond {
  return { ...state.bond!, ...change };
}

export const evolveWatcherBond = evolveWith<WatcherBondState, WatcherBondEvent>('watcher-bond', {
  'watcher-bond.posted.v1': (state, { data }) => ({
    ...state,
    watcher_id: data.watcher_id,
    status: 'ACTIVE',
    bond: {
      bond_id: data.bond_id,
      currency: data.currency,
      corridor_ids: data.corridor_ids,
      posted_at: data.at,
      collateral: data.amount,
      slashed: '0',
      remaining: data.amount,
      attestation_count: 0,
      unlock_at: null,
    },
    bond_ids: [...state.bond_ids, data.bond_id],
    updated_at: data.at,
  }),
  'watcher-bond.attestation-recorded.v1': (state, { data }) => ({
    ...state,
    bond: withBond(state, { attestation_count: data.attestation_count }),
    updated_at: data.at,
  }),
  // An exhausted stake stops attestation (SLASHED); an unbonding bond stays unbonding whatever it loses.
  'watcher-bond.slashed.v1': (state, { data }) => ({
    ...state,
    status: state.status === 'ACTIVE' && units(data.remaining) === 0n ? 'SLASHED' : state.status,
    bond: withBond(state, { slashed: formatAmount(units(state.bond!.slashed) + units(data.amount)), remaining: data.remaining }),
    slashed_incidents: [...state.slashed_incidents, data.incident],
    updated_at: data.at,
  }),
  'watcher-bond.banned.v1': (state, { data }) => ({
    ...state,
    status: 'BANNED',
    ban: { offence: data.offence, incident: data.incident, at: data.at },
    updated_at: data.at,
  }),
  'watcher-bond.topped-up.v1': (state, { data }) => ({
    ...state,
    status: 'ACTIVE',
    bond: withBond(state, { collateral: data.collateral, remaining: data.remaining }),
    updated_at: data.at,
  }),
  'watcher-bond.unbonding-started.v1': (state, { data }) => ({
    ...state,
    status: 'UNBONDING',
    bond: withBond(state, { unlock_at: data.unlock_at }),
    updated_at: data.at,
  }),
  'watcher-bond.withdrawn.v1': (state, { data }) => ({ ...state, status: 'NONE', bond: null, updated_at: data.at }),
});
