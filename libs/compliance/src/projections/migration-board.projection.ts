import type { Doc } from '../store/port';
import { normalizeTimestamp } from '../tensor/time';
import type { FoldContext, ProjectionDefinition } from './definition';
import type { LedgerRecord } from './ledger-record';
import { MIGRATION_EVENTS } from './event-types';
import { recordTime } from './compliance-tensor.projection';

export const MIGRATION_BOARD = 'migration_board';

export const TERMINAL_MIGRATION_PHASES = ['completed', 'compensated', 'cancelled'];

export interface MigrationDoc {
  [k: string]: Doc;
  migration_id: string;
  corridor_id: string | null;
  asset_id: string | null;
  source_jurisdiction: string | null;
  destination_jurisdiction: string | null;
  /** Forward phase, `compensating`, `compensation_failed`, or a terminal one (completed, compensated, cancelled). */
  phase: string;
  deadline: string | null;
  started_at: string | null;
  /** Forward phases completed, with their evidence digests. */
  steps: { phase: string; to: string; evidence_digest_sha256: string | null; at: string }[];
  compensation: {
    trigger: string;
    reason: string;
    reached_phase: string;
    plan: string[];
    done: string[];
    failures: number;
    retry_at: string | null;
    last_error: string | null;
    escalated: boolean;
  } | null;
  ended_at: string | null;
  updated_at: string;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** The migration board: one document per saga, indexed by open/closed, corridor, asset. */
export function migrationBoardProjection(): ProjectionDefinition {
  return {
    name: MIGRATION_BOARD,
    collections: {
      migrations: {
        index: (doc) => {
          const m = doc as MigrationDoc;
          const open = !TERMINAL_MIGRATION_PHASES.includes(m.phase);
          return {
            open: open ? ['open'] : [],
            phase: [m.phase],
            corridor: m.corridor_id ? [m.corridor_id] : [],
            asset: m.asset_id ? [m.asset_id] : [],
            all: ['*'],
          };
        },
      },
      // Open sagas by deadline: key `<deadline>|<migration_id>` (tensor time sorts as text), value the id.
      open_deadlines: { index: () => ({ all: ['*'] }) },
    },
    async open() {
      const types: ReadonlySet<string> = new Set(Object.values(MIGRATION_EVENTS));
      return {
        fold(record, tx) {
          return types.has(record.type) ? apply(record, tx) : undefined;
        },
      };
      async function apply(record: LedgerRecord, tx: FoldContext): Promise<void> {
        {
          const e = isObject(record.data) ? record.data : {};
          const id = str(e.migration_id);
          if (id === null) throw new Error(`${MIGRATION_BOARD}: ${record.type} at ${record.stream}#${record.sequence} names no migration_id`);
          const at = recordTime(record);
          const m: MigrationDoc = ((await tx.get('migrations', id)) as MigrationDoc | undefined) ?? {
            migration_id: id,
            corridor_id: null,
            asset_id: null,
            source_jurisdiction: null,
            destination_jurisdiction: null,
            phase: 'initiated',
            deadline: null,
            started_at: null,
            steps: [],
            compensation: null,
            ended_at: null,
            updated_at: at,
          };
          const c = m.compensation;
          switch (record.type) {
            case MIGRATION_EVENTS.started:
              m.corridor_id = str(e.corridor_id);
              m.asset_id = str(e.asset_id);
              m.source_jurisdiction = str(e.source_jurisdiction);
              m.destination_jurisdiction = str(e.destination_jurisdiction);
              m.deadline = normalizeTimestamp(e.deadline);
              m.started_at = at;
              m.phase = str(e.phase) ?? 'initiated';
              break;
            case MIGRATION_EVENTS.phaseAdvanced:
            case MIGRATION_EVENTS.completed:
              m.steps = [...m.steps, { phase: String(e.from_phase), to: String(e.to_phase), evidence_digest_sha256: str(e.evidence_digest_sha256), at }];
              m.phase = record.type === MIGRATION_EVENTS.completed ? 'completed' : String(e.to_phase);
              break;
            case MIGRATION_EVENTS.compensationStarted:
              m.phase = 'compensating';
              m.compensation = {
                trigger: String(e.trigger),
                reason: String(e.reason ?? ''),
                reached_phase: String(e.reached_phase),
                plan: strings(e.plan),
                done: [],
                failures: 0,
                retry_at: null,
                last_error: null,
                escalated: false,
              };
              break;
            case MIGRATION_EVENTS.compensationStepCompleted:
              if (c) m.compensation = { ...c, done: [...c.done, String(e.step)], failures: 0, retry_at: null };
              break;
            case MIGRATION_EVENTS.compensationStepFailed:
              if (c) m.compensation = { ...c, failures: c.failures + 1, retry_at: normalizeTimestamp(e.retry_at), last_error: str(e.error) };
              break;
            case MIGRATION_EVENTS.compensationEscalated:
              m.phase = 'compensation_failed';
              if (c) m.compensation = { ...c, escalated: true, last_error: str(e.last_error) ?? c.last_error, retry_at: null };
              break;
            case MIGRATION_EVENTS.compensationFailureResolved:
              m.phase = 'compensating';
              if (c) {
                const manual = e.resolution === 'compensated_manually';
                m.compensation = { ...c, escalated: false, failures: 0, retry_at: null, done: manual ? [...c.done, String(e.step)] : c.done };
              }
              break;
            case MIGRATION_EVENTS.compensated:
              m.phase = 'compensated';
              m.ended_at = at;
              break;
            case MIGRATION_EVENTS.cancelled:
              m.phase = 'cancelled';
              m.ended_at = at;
              break;
          }
          if (m.phase === 'completed') m.ended_at = at;
          if (m.deadline !== null) {
            const key = `${m.deadline}|${m.migration_id}`;
            if (TERMINAL_MIGRATION_PHASES.includes(m.phase)) tx.delete('open_deadlines', key);
            else if (record.type === MIGRATION_EVENTS.started) tx.put('open_deadlines', key, m.migration_id);
          }
          m.updated_at = at;
          tx.put('migrations', id, m);
        }
      }
    },
  };
}
