import { digestOf, type JsonObject } from '@corridor/protocol';
import { verifyCredential } from '../shared/credentials';
import { refuse } from '../shared/domain-error';
import { formatAmount, parseAmount, requireCurrency } from '../shared/decimal';
import { requireDidKey, requireDigest, requireOneOf, requireSameId, requireText } from '../shared/fields';
import { addSeconds, compareTimestamps, requireCommandTime } from '../shared/time';
import type { PostBond, WatcherBondCommand } from './commands';
import { WATCHER_BOND_EVENT_TYPES as E, type WatcherBondEvent } from './events';
import { proveOffence } from './evidence';
import { OFFENCES, slashAmount, type WatcherBondPolicy } from './slashing';
import type { Bond, BondStatus, WatcherBondState } from './state';

export function decideWatcherBond(command: WatcherBondCommand, state: WatcherBondState, policy: WatcherBondPolicy): WatcherBondEvent[] {
  const at = requireCommandTime(command.at, state.updated_at);
  const watcherId = requireDidKey(command.data?.watcher_id, 'watcher_id');
  if (state.watcher_id !== null) requireSameId(watcherId, state.watcher_id, 'watcher_id');
  if (command.type === 'PostBond') return post(command, state, watcherId, at);
  if (state.watcher_id === null) refuse('not-found', `watcher ${watcherId} has never posted a bond`);
  const bondIn = (allowed: BondStatus[], what: string): Bond => {
    if (!allowed.includes(state.status) || state.bond === null) {
      refuse('transition-not-allowed', `watcher ${watcherId} is ${state.status}; ${what} needs a bond that is ${allowed.join(' or ')}`);
    }
    return state.bond;
  };
  const base = (bond: Bond) => ({ watcher_id: watcherId, bond_id: bond.bond_id, at });

  switch (command.type) {
    case 'RecordAttestation': {
      const bond = bondIn(['ACTIVE'], 'attesting');
      const corridorId = requireText(command.data.corridor_id, 'corridor_id');
      if (!bond.corridor_ids.includes(corridorId)) refuse('out-of-scope', `corridor ${corridorId} is outside bond ${bond.bond_id}'s scope (${bond.corridor_ids.join(', ')})`);
      const digest = requireDigest(command.data.attestation_digest_sha256, 'attestation_digest_sha256');
      const attestation = command.data.attestation === undefined ? {} : { attestation: attestationMatching(command.data.attestation, digest, watcherId, corridorId) };
      return [{ type: E.attestationRecorded, data: { ...base(bond), corridor_id: corridorId, attestation_digest_sha256: digest, attestation_count: bond.attestation_count + 1, ...attestation } }];
    }
    case 'SlashBond': {
      const bond = bondIn(['ACTIVE', 'SLASHED', 'UNBONDING'], 'slashing');
      const offence = requireOneOf(command.data.offence, OFFENCES, 'offence');
      const proven = proveOffence(offence, command.data.evidence, watcherId, bond);
      if (state.slashed_incidents.includes(proven.incident)) refuse('already-slashed', `incident ${proven.incident} was already slashed`);
      const rule = policy.offences[offence];
      const collateral = parseAmount(bond.collateral, 'collateral', { allowZero: true });
      const remaining = parseAmount(bond.remaining, 'remaining', { allowZero: true });
      const amount = slashAmount(collateral, remaining, rule);
      const events: WatcherBondEvent[] = [
        {
          type: E.slashed,
          data: {
            ...base(bond),
            offence,
            incident: proven.incident,
            basis_points: rule.basisPoints,
            amount: formatAmount(amount),
            collateral: bond.collateral,
            remaining: formatAmount(remaining - amount),
            evidence: proven.evidence,
          },
        },
      ];
      if (rule.ban) events.push({ type: E.banned, data: { watcher_id: watcherId, at, offence, incident: proven.incident } });
      return events;
    }
    case 'TopUpBond': {
      const bond = bondIn(['ACTIVE', 'SLASHED'], 'a top-up');
      const amount = parseAmount(command.data.amount, 'amount');
      const collateral = parseAmount(bond.collateral, 'collateral') + amount;
      const remaining = parseAmount(bond.remaining, 'remaining', { allowZero: true }) + amount;
      return [{ type: E.toppedUp, data: { ...base(bond), amount: formatAmount(amount), collateral: formatAmount(collateral), remaining: formatAmount(remaining) } }];
    }
    case 'StartUnbonding': {
      const bond = bondIn(['ACTIVE', 'SLASHED'], 'unbonding');
      return [{ type: E.unbondingStarted, data: { ...base(bond), unlock_at: addSeconds(at, policy.unlockPeriodSeconds) } }];
    }
    case 'WithdrawBond': {
      const bond = bondIn(['UNBONDING'], 'withdrawal');
      if (compareTimestamps(at, bond.unlock_at!) < 0) refuse('still-locked', `bond ${bond.bond_id} unlocks at ${bond.unlock_at}; it cannot be withdrawn at ${at}`);
      return [{ type: E.withdrawn, data: { ...base(bond), amount: bond.remaining, currency: bond.currency } }];
    }
    default:
      return refuse('invalid-command', `unknown watcher bond command ${JSON.stringify((command as { type: unknown }).type)}`);
  }
}

function post(command: PostBond, state: WatcherBondState, watcherId: string, at: string): WatcherBondEvent[] {
  if (state.status === 'BANNED') {
    refuse('watcher-banned', `watcher ${watcherId} was banned for ${state.ban!.offence} (${state.ban!.incident}) at ${state.ban!.at}; it can never bond again`);
  }
  if (state.bond !== null) {
    refuse('transition-not-allowed', `watcher ${watcherId} already has bond ${state.bond.bond_id} (${state.status}); withdraw it before posting another`);
  }
  const bondId = requireText(command.data.bond_id, 'bond_id');
  if (state.bond_ids.includes(bondId)) refuse('already-exists', `bond id ${bondId} was already used by this watcher`);
  const amount = formatAmount(parseAmount(command.data.amount, 'amount'));
  const currency = requireCurrency(command.data.currency, 'currency');
  const scope = command.data.corridor_ids;
  if (!Array.isArray(scope) || scope.length === 0) refuse('invalid-command', 'corridor_ids must list at least one corridor the bond covers');
  scope.forEach((id, i) => requireText(id, `corridor_ids[${i}]`));
  if (new Set(scope).size !== scope.length) refuse('invalid-command', 'corridor_ids lists a corridor twice');
  return [{ type: E.posted, data: { watcher_id: watcherId, bond_id: bondId, at, amount, currency, corridor_ids: [...scope] } }];
}

/** A carried attestation must be the one the digest names, signed by this watcher, about this corridor. */
function attestationMatching(value: unknown, digest: string, watcherId: string, corridorId: string): JsonObject {
  const v = verifyCredential(value, 'attestation');
  if (digestOf(v.credential) !== digest) refuse('invalid-evidence', 'attestation_digest_sha256 is not the SHA-256 of the attestation given');
  if (!v.signers.includes(watcherId)) refuse('invalid-evidence', `the attestation is not signed by watcher ${watcherId}`);
  if (v.subject.corridor_id !== corridorId) refuse('invalid-evidence', `the attestation is about corridor ${String(v.subject.corridor_id)}, not ${corridorId}`);
  return v.credential;
}
