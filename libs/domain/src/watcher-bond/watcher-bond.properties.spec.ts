import fc from 'fast-check';
import { digestOf, sha256Hex } from '@corridor/protocol';
import { DomainError } from '../shared/domain-error';
import { parseAmount } from '../shared/decimal';
import { addSeconds } from '../shared/time';
import { CORRIDOR_ID, minute } from '../testing/corridor-fixtures';
import { bondCommand } from '../testing/watcher-bond-fixtures';
import type { WatcherBondCommand } from './commands';
import { watcherBondDecider } from './decider';
import { WATCHER_BOND_EVENT_TYPES } from './events';
import { OFFENCES } from './slashing';
import { BOND_STATUSES } from './state';

const units = (s: string) => parseAmount(s, 'amount', { allowZero: true });

/** Positive amounts with up to 18 decimals, written in every legal way (trailing zeros included). */
const amount = fc
  .tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.integer({ min: 0, max: 18 }))
  .filter(([whole, scale]) => whole > 0n || scale > 0)
  .chain(([whole, scale]) =>
    fc.integer({ min: scale === 0 ? 0 : 1, max: scale === 0 ? 0 : 10 ** Math.min(scale, 6) - 1 }).map((fraction) => {
      const text = scale === 0 ? whole.toString() : `${whole}.${String(fraction).padStart(scale, '0')}`;
      return parseAmount(text, 'x', { allowZero: true }) > 0n ? text : '1';
    }),
  );

const step = fc.oneof(
  fc.record({ kind: fc.constant('post' as const), amount, bond: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('slash' as const), offence: fc.constantFrom(...OFFENCES.filter((o) => o !== 'equivocation')), incident: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ kind: fc.constant('top-up' as const), amount }),
  fc.record({ kind: fc.constant('attest' as const) }),
  fc.record({ kind: fc.constant('unbond' as const) }),
  fc.record({ kind: fc.constant('withdraw' as const), wait: fc.integer({ min: 0, max: 8 * 24 * 3600 }) }),
);

function toCommand(
  s:
    | { kind: 'post'; amount: string; bond: number }
    | { kind: 'slash'; offence: string; incident: number }
    | { kind: 'top-up'; amount: string }
    | { kind: 'attest' }
    | { kind: 'unbond' }
    | { kind: 'withdraw'; wait: number },
  at: string,
): WatcherBondCommand {
  switch (s.kind) {
    case 'post':
      return bondCommand('PostBond', at, { bond_id: `bond-${s.bond}`, amount: s.amount, currency: 'USDC', corridor_ids: [CORRIDOR_ID] }) as WatcherBondCommand;
    case 'slash':
      return bondCommand('SlashBond', at, {
        offence: s.offence,
        evidence: { incident_id: `I-${s.incident}`, corridor_id: CORRIDOR_ID, evidence_digest_sha256: sha256Hex(`I-${s.incident}`) },
      }) as WatcherBondCommand;
    case 'top-up':
      return bondCommand('TopUpBond', at, { amount: s.amount }) as WatcherBondCommand;
    case 'attest':
      return bondCommand('RecordAttestation', at, { corridor_id: CORRIDOR_ID, attestation_digest_sha256: sha256Hex(at) }) as WatcherBondCommand;
    case 'unbond':
      return bondCommand('StartUnbonding', at) as WatcherBondCommand;
    case 'withdraw':
      return bondCommand('WithdrawBond', addSeconds(at, s.wait)) as WatcherBondCommand;
  }
}

describe('watcher bond properties', () => {
  it('slashing never makes the stake negative, never takes more than the collateral in total, and the books always balance', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        let state = watcherBondDecider.initialState();
        let now = minute(0);
        let deposited = 0n;
        let taken = 0n;
        for (const s of steps) {
          now = addSeconds(now, 60);
          const command = toCommand(s, now);
          now = command.at;
          let events;
          try {
            events = watcherBondDecider.decide(command, state);
          } catch (e) {
            if (e instanceof DomainError) continue;
            throw e;
          }
          if (state.status === 'BANNED') throw new Error('a banned watcher changed');
          for (const event of events) {
            digestOf(event.data);
            if (event.type === 'watcher-bond.posted.v1') {
              deposited = units(event.data.amount);
              taken = 0n;
            }
            if (event.type === 'watcher-bond.topped-up.v1') deposited += units(event.data.amount);
            if (event.type === 'watcher-bond.slashed.v1') {
              taken += units(event.data.amount);
              // The slash is the offence's share of the collateral, capped by what remained.
              expect(units(event.data.amount)).toBeLessThanOrEqual((units(event.data.collateral) * BigInt(event.data.basis_points)) / 10000n);
            }
            state = watcherBondDecider.evolve(state, event);
            seen.add(event.type);
            expect(BOND_STATUSES).toContain(state.status);
            if (state.bond !== null) {
              const remaining = units(state.bond.remaining);
              expect(remaining).toBeGreaterThanOrEqual(0n);
              expect(units(state.bond.collateral)).toBe(deposited);
              expect(units(state.bond.slashed)).toBe(taken);
              expect(taken).toBeLessThanOrEqual(deposited);
              expect(remaining).toBe(deposited - taken);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
    // Every kind of event happened in some run, or the property proved little.
    expect(seen.size).toBe(Object.keys(WATCHER_BOND_EVENT_TYPES).length);
  });
});
