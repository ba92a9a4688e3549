import type { Doc } from '../store/port';
import { timestampMillis } from '../tensor/time';
import type { FoldContext, ProjectionDefinition } from './definition';
import type { LedgerRecord } from './ledger-record';
import { WATCHER_EVENTS } from './event-types';
import { recordTime } from './compliance-tensor.projection';
import { amountUnits, formatUnits } from './decimal';

export const WATCHER_REGISTRY = 'watcher_registry';

export interface SlashRecord {
  [k: string]: Doc;
  offence: string;
  incident: string;
  basis_points: number;
  amount: string;
  at: string;
}

export interface WatcherDoc {
  [k: string]: Doc;
  watcher_id: string;
  /** NONE (no bond), ACTIVE, SLASHED (stake exhausted), UNBONDING, BANNED. */
  status: string;
  bond_id: string | null;
  currency: string | null;
  corridor_ids: string[];
  posted_at: string | null;
  collateral: string;
  slashed: string;
  /** Stake at risk: collateral − slashed. */
  remaining: string;
  unlock_at: string | null;
  attestation_count: number;
  last_attestation: { corridor_id: string; digest: string; at: string } | null;
  slashes: SlashRecord[];
  ban: { offence: string; incident: string; at: string } | null;
  first_bonded_at: string | null;
  updated_at: string;
  /** 0–100, see `reputationScore`. */
  reputation: number;
  tier: 'novice' | 'standard' | 'trusted' | 'elite';
}

/**
 * Reputation, an integer from 0 to 100 (spec/projections.md §5.3): a banned watcher scores 0; otherwise
 * 50 + min(30, ⌊attestations / 10⌋) + min(20, ⌊days since first bond / 30⌋) − 25 × slashes, clamped to [0, 100].
 * Tiers as the reference names them: elite ≥ 95, trusted ≥ 85, standard ≥ 70, novice below.
 */
export function reputationScore(w: Pick<WatcherDoc, 'status' | 'attestation_count' | 'slashes' | 'first_bonded_at'>, at: string): number {
  if (w.status === 'BANNED') return 0;
  const since = w.first_bonded_at === null ? null : timestampMillis(w.first_bonded_at);
  const now = timestampMillis(at);
  const days = since === null || now === null ? 0 : Math.max(0, Math.floor((now - since) / 86_400_000));
  const score = 50 + Math.min(30, Math.floor(w.attestation_count / 10)) + Math.min(20, Math.floor(days / 30)) - 25 * w.slashes.length;
  return Math.max(0, Math.min(100, score));
}

export function reputationTier(score: number): WatcherDoc['tier'] {
  return score >= 95 ? 'elite' : score >= 85 ? 'trusted' : score >= 70 ? 'standard' : 'novice';
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, fallback: string | null = null): string | null => (typeof v === 'string' ? v : fallback);

/** The watcher registry: one document per watcher, from the watcher-bond chains. */
export function watcherRegistryProjection(): ProjectionDefinition {
  return {
    name: WATCHER_REGISTRY,
    collections: {
      watchers: {
        index: (doc) => {
          const w = doc as WatcherDoc;
          return { status: [w.status], corridor: w.corridor_ids, all: ['*'] };
        },
      },
    },
    async open() {
      const types: ReadonlySet<string> = new Set(Object.values(WATCHER_EVENTS));
      return {
        fold(record, tx) {
          return types.has(record.type) ? apply(record, tx) : undefined;
        },
      };
      async function apply(record: LedgerRecord, tx: FoldContext): Promise<void> {
        {
          const d = isObject(record.data) ? record.data : {};
          const id = str(d.watcher_id);
          if (id === null) throw new Error(`${WATCHER_REGISTRY}: ${record.type} at ${record.stream}#${record.sequence} names no watcher_id`);
          const at = recordTime(record);
          const w: WatcherDoc = ((await tx.get('watchers', id)) as WatcherDoc | undefined) ?? {
            watcher_id: id,
            status: 'NONE',
            bond_id: null,
            currency: null,
            corridor_ids: [],
            posted_at: null,
            collateral: '0',
            slashed: '0',
            remaining: '0',
            unlock_at: null,
            attestation_count: 0,
            last_attestation: null,
            slashes: [],
            ban: null,
            first_bonded_at: null,
            updated_at: at,
            reputation: 0,
            tier: 'novice',
          };
          switch (record.type) {
            case WATCHER_EVENTS.posted:
              w.status = 'ACTIVE';
              w.bond_id = str(d.bond_id);
              w.currency = str(d.currency);
              w.corridor_ids = Array.isArray(d.corridor_ids) ? d.corridor_ids.filter((c): c is string => typeof c === 'string') : [];
              w.posted_at = at;
              w.collateral = str(d.amount, '0')!;
              w.slashed = '0';
              w.remaining = w.collateral;
              w.unlock_at = null;
              w.first_bonded_at ??= at;
              break;
            case WATCHER_EVENTS.attestationRecorded:
              w.attestation_count = typeof d.attestation_count === 'number' ? d.attestation_count : w.attestation_count + 1;
              w.last_attestation = { corridor_id: str(d.corridor_id, '')!, digest: str(d.attestation_digest_sha256, '')!, at };
              break;
            case WATCHER_EVENTS.slashed:
              w.slashes = [...w.slashes, { offence: str(d.offence, '')!, incident: str(d.incident, '')!, basis_points: Number(d.basis_points ?? 0), amount: str(d.amount, '0')!, at }];
              w.collateral = str(d.collateral, w.collateral)!;
              w.remaining = str(d.remaining, w.remaining)!;
              w.slashed = str(d.collateral) !== null && str(d.remaining) !== null ? subtract(w.collateral, w.remaining) : w.slashed;
              if (w.remaining === '0' && w.status === 'ACTIVE') w.status = 'SLASHED';
              break;
            case WATCHER_EVENTS.banned:
              w.status = 'BANNED';
              w.ban = { offence: str(d.offence, '')!, incident: str(d.incident, '')!, at };
              break;
            case WATCHER_EVENTS.toppedUp:
              w.collateral = str(d.collateral, w.collateral)!;
              w.remaining = str(d.remaining, w.remaining)!;
              if (w.status === 'SLASHED') w.status = 'ACTIVE';
              break;
            case WATCHER_EVENTS.unbondingStarted:
              w.status = 'UNBONDING';
              w.unlock_at = str(d.unlock_at);
              break;
            case WATCHER_EVENTS.withdrawn:
              w.status = 'NONE';
              w.bond_id = null;
              w.corridor_ids = [];
              w.collateral = '0';
              w.slashed = '0';
              w.remaining = '0';
              w.unlock_at = null;
              break;
          }
          w.updated_at = at;
          w.reputation = reputationScore(w, at);
          w.tier = reputationTier(w.reputation);
          tx.put('watchers', id, w);
        }
      }
    },
  };
}

function subtract(a: string, b: string): string {
  const r = amountUnits(a) - amountUnits(b);
  return formatUnits(r < 0n ? 0n : r);
}
