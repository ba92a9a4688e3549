import type { Doc } from '../store/port';
import { normalizeTimestamp } from '../tensor/time';
import type { FoldContext, ProjectionDefinition } from './definition';
import type { LedgerRecord } from './ledger-record';
import { DISPUTE_EVENTS } from './event-types';
import { recordTime } from './compliance-tensor.projection';

export const DISPUTE_DOCKET = 'dispute_docket';

/** Statuses after which the dispute itself moves no further. */
export const FINAL_DISPUTE_STATUSES = ['CLOSED', 'SETTLED', 'DISMISSED'];

export interface EscrowDoc {
  [k: string]: Doc;
  escrow_type: string;
  amount: string;
  currency: string;
  funded_by: string;
  status: 'funded' | 'released' | 'forfeited';
  to: string | null;
}

export interface DisputeDoc {
  [k: string]: Doc;
  dispute_id: string;
  corridor_id: string | null;
  status: string;
  claimant: string | null;
  respondent: string | null;
  filed_at: string | null;
  case_reference: string | null;
  arbitrator: string | null;
  evidence_deadline: string | null;
  evidence_packages: number;
  hearing_at: string | null;
  ruling: { digest: string | null; disposition: string | null; issued_at: string; appeal_deadline: string | null } | null;
  enforced_at: string | null;
  settlement_consents: string[];
  outcome: { status: string; at: string; digest: string | null; reason: string | null } | null;
  escrows: Record<string, EscrowDoc>;
  /** The next date the docket must watch: evidence deadline, hearing, appeal deadline (whichever is pending). */
  next_deadline: { what: string; at: string } | null;
  updated_at: string;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const STATUS_AFTER: Readonly<Record<string, string>> = {
  [DISPUTE_EVENTS.filed]: 'FILED',
  [DISPUTE_EVENTS.reviewStarted]: 'UNDER_REVIEW',
  [DISPUTE_EVENTS.evidenceCollectionOpened]: 'EVIDENCE_COLLECTION',
  [DISPUTE_EVENTS.hearingScheduled]: 'HEARING',
  [DISPUTE_EVENTS.rulingIssued]: 'DECIDED',
  [DISPUTE_EVENTS.rulingEnforced]: 'ENFORCED',
  [DISPUTE_EVENTS.closed]: 'CLOSED',
  [DISPUTE_EVENTS.settled]: 'SETTLED',
  [DISPUTE_EVENTS.dismissed]: 'DISMISSED',
};

function nextDeadline(d: DisputeDoc): DisputeDoc['next_deadline'] {
  if (FINAL_DISPUTE_STATUSES.includes(d.status)) return null;
  if (d.status === 'EVIDENCE_COLLECTION' && d.evidence_deadline) return { what: 'evidence_deadline', at: d.evidence_deadline };
  if (d.status === 'HEARING' && d.hearing_at) return { what: 'hearing', at: d.hearing_at };
  if (d.status === 'DECIDED' && d.ruling?.appeal_deadline) return { what: 'appeal_deadline', at: d.ruling.appeal_deadline };
  return null;
}

/** The dispute docket: one document per dispute, from the dispute chains. */
export function disputeDocketProjection(): ProjectionDefinition {
  return {
    name: DISPUTE_DOCKET,
    collections: {
      disputes: {
        index: (doc) => {
          const d = doc as DisputeDoc;
          const parties = [d.claimant, d.respondent].filter((p): p is string => p !== null);
          return {
            status: [d.status],
            open: FINAL_DISPUTE_STATUSES.includes(d.status) ? [] : ['open'],
            corridor: d.corridor_id ? [d.corridor_id] : [],
            party: [...new Set(parties)],
            all: ['*'],
          };
        },
      },
    },
    async open() {
      const types: ReadonlySet<string> = new Set(Object.values(DISPUTE_EVENTS));
      return {
        fold(record, tx) {
          return types.has(record.type) ? apply(record, tx) : undefined;
        },
      };
      async function apply(record: LedgerRecord, tx: FoldContext): Promise<void> {
        {
          const e = isObject(record.data) ? record.data : {};
          const id = str(e.dispute_id);
          if (id === null) throw new Error(`${DISPUTE_DOCKET}: ${record.type} at ${record.stream}#${record.sequence} names no dispute_id`);
          const at = recordTime(record);
          const d: DisputeDoc = ((await tx.get('disputes', id)) as DisputeDoc | undefined) ?? {
            dispute_id: id,
            corridor_id: null,
            status: 'FILED',
            claimant: null,
            respondent: null,
            filed_at: null,
            case_reference: null,
            arbitrator: null,
            evidence_deadline: null,
            evidence_packages: 0,
            hearing_at: null,
            ruling: null,
            enforced_at: null,
            settlement_consents: [],
            outcome: null,
            escrows: {},
            next_deadline: null,
            updated_at: at,
          };
          switch (record.type) {
            case DISPUTE_EVENTS.filed:
              d.corridor_id = str(e.corridor_id);
              d.claimant = str(e.claimant);
              d.respondent = str(e.respondent);
              d.filed_at = at;
              break;
            case DISPUTE_EVENTS.reviewStarted:
              d.case_reference = str(e.case_reference);
              d.arbitrator = str(e.arbitrator);
              break;
            case DISPUTE_EVENTS.evidenceCollectionOpened:
              d.evidence_deadline = normalizeTimestamp(e.evidence_deadline);
              break;
            case DISPUTE_EVENTS.evidenceSubmitted:
              d.evidence_packages++;
              break;
            case DISPUTE_EVENTS.hearingScheduled:
              d.hearing_at = normalizeTimestamp(e.hearing_at);
              break;
            case DISPUTE_EVENTS.rulingIssued: {
              const ruling = isObject(e.ruling) ? e.ruling : {};
              d.ruling = { digest: str(ruling.digest_sha256), disposition: str(e.disposition), issued_at: at, appeal_deadline: normalizeTimestamp(e.appeal_deadline) };
              break;
            }
            case DISPUTE_EVENTS.rulingEnforced:
              d.enforced_at = at;
              break;
            case DISPUTE_EVENTS.settlementConsented:
              if (typeof e.party === 'string' && !d.settlement_consents.includes(e.party)) d.settlement_consents = [...d.settlement_consents, e.party].sort();
              break;
            case DISPUTE_EVENTS.closed:
              d.outcome = { status: 'CLOSED', at, digest: str(e.final_report_digest_sha256), reason: null };
              break;
            case DISPUTE_EVENTS.settled:
              d.outcome = { status: 'SETTLED', at, digest: str(e.settlement_agreement_sha256), reason: null };
              break;
            case DISPUTE_EVENTS.dismissed:
              d.outcome = { status: 'DISMISSED', at, digest: str(e.dismissal_order_digest_sha256), reason: str(e.reason) };
              break;
            case DISPUTE_EVENTS.escrowFunded: {
              const escrowId = String(e.escrow_id);
              d.escrows = {
                ...d.escrows,
                [escrowId]: { escrow_type: String(e.escrow_type), amount: String(e.amount), currency: String(e.currency), funded_by: String(e.funded_by), status: 'funded', to: null },
              };
              break;
            }
            case DISPUTE_EVENTS.escrowReleased:
            case DISPUTE_EVENTS.escrowForfeited: {
              const escrowId = String(e.escrow_id);
              const prev = d.escrows[escrowId];
              if (prev) {
                d.escrows = {
                  ...d.escrows,
                  [escrowId]: { ...prev, status: record.type === DISPUTE_EVENTS.escrowReleased ? 'released' : 'forfeited', to: str(e.to) },
                };
              }
              break;
            }
          }
          const status = STATUS_AFTER[record.type];
          if (status !== undefined) d.status = status;
          d.next_deadline = nextDeadline(d);
          d.updated_at = at;
          tx.put('disputes', id, d);
        }
      }
    },
  };
}
