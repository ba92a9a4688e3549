import { basisPointsOf } from '../shared/decimal';

export const OFFENCES = ['equivocation', 'false_attestation', 'availability', 'liveness', 'collusion'] as const;
export type Offence = (typeof OFFENCES)[number];

export interface OffenceRule {
  readonly basisPoints: number;
  readonly ban: boolean;
}

export interface WatcherBondPolicy {
  readonly offences: Readonly<Record<Offence, OffenceRule>>;
  readonly unlockPeriodSeconds: number;
}

/** Validates the slashing schedule (`@corridor/governance/watcher-slashing.json`); every offence must be priced. */
export function loadWatcherBondPolicy(doc: unknown): WatcherBondPolicy {
  const bad = (why: string): never => {
    throw new Error(`watcher slashing governance file: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad('must be a JSON object');
  const d = doc as Record<string, unknown>;
  const offences = (typeof d.offences === 'object' && d.offences !== null ? d.offences : bad('offences must be an object')) as Record<string, unknown>;
  for (const name of Object.keys(offences)) if (!(OFFENCES as readonly string[]).includes(name)) bad(`offence ${name} is not one this node can prove`);
  const rules = Object.fromEntries(
    OFFENCES.map((name) => {
      const o = offences[name] as Record<string, unknown> | undefined;
      if (o === undefined) return bad(`offence ${name} has no rule`);
      const bp = o.basis_points;
      if (typeof bp !== 'number' || !Number.isSafeInteger(bp) || bp < 0 || bp > 10_000) return bad(`${name}.basis_points must be an integer in [0, 10000]`);
      if (typeof o.ban !== 'boolean') return bad(`${name}.ban must be true or false`);
      return [name, { basisPoints: bp, ban: o.ban }];
    }),
  ) as Record<Offence, OffenceRule>;
  const unbonding = (d.unbonding ?? {}) as Record<string, unknown>;
  const period = unbonding.unlock_period_seconds;
  if (typeof period !== 'number' || !Number.isSafeInteger(period) || period <= 0) bad('unbonding.unlock_period_seconds must be a positive integer');
  return { offences: rules, unlockPeriodSeconds: period as number };
}

export const WATCHER_SLASHING_DOCUMENT: unknown = require('@corridor/governance/watcher-slashing.json');
export const WATCHER_BOND_POLICY: WatcherBondPolicy = loadWatcherBondPolicy(WATCHER_SLASHING_DOCUMENT);

/**
 * The amount one slash takes: the offence's share of the bond's collateral (everything ever deposited into it,
 * not what is left, so repeated incidents do not shrink the penalty), but never more than what remains.
 */
export function slashAmount(collateral: bigint, remaining: bigint, rule: OffenceRule): bigint {
  const due = basisPointsOf(collateral, rule.basisPoints);
  return due < remaining ? due : remaining;
}
