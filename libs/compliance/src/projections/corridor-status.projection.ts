import { CHECKPOINT_TYPE, checkpointDigest, MmrAccumulator, type JsonObject } from '@corridor/protocol';
import { isHexDigest } from '../tensor/hex';
import type { Doc } from '../store/port';
import { normalizeTimestamp } from '../tensor/time';
import type { FoldContext, ProjectionDefinition } from './definition';
import { CORRIDOR_EVENTS, WATCHER_EVENTS } from './event-types';
import type { LedgerRecord } from './ledger-record';
import { recordTime } from './compliance-tensor.projection';

export const CORRIDOR_STATUS = 'corridor_status';

/** The finality ladder up to what a node can observe by itself (spec/projections.md §5.2). */
export const FINALITY_LADDER = ['proposed', 'receipt_signed', 'checkpoint_signed', 'watcher_quorum'] as const;
export type FinalityLevel = (typeof FINALITY_LADDER)[number];

export const WATCHER_ATTESTATION_CREDENTIAL = 'MSEZCorridorWatcherAttestationCredential';

export interface CheckpointSummary {
  [k: string]: Doc;
  digest: string;
  receipt_count: number;
  final_state_root: string;
  mmr_root: string | null;
  timestamp: string | null;
  proofs: number;
  stream: string;
  sequence: number;
}

export interface CorridorStatusDoc {
  [k: string]: Doc;
  corridor_id: string;
  /** The state channel: the stream of the corridor's recorded transitions (the chain checkpoints and watchers cover). */
  stream: string;
  /** Lifecycle state (`DRAFT`, `PENDING`, `ACTIVE`, `HALTED`, `SUSPENDED`, `DEPRECATED`). */
  state: string | null;
  since: string | null;
  /** Head of the lifecycle chain (the stream of created/submitted/activated/… events). */
  lifecycle: { stream: string; sequence: number; next_root: string | null; signed: boolean } | null;
  /** Head of the state channel: last folded sequence and its receipt. */
  head: { sequence: number; next_root: string | null; timestamp: string | null; signed: boolean; type: string } | null;
  receipt_count: number;
  /** MMR over the state channel receipts' next_roots (absent when its events are not receipts). */
  mmr: { size: number; root: string; peaks: { height: number; hash: string }[] } | null;
  transitions_recorded: number;
  latest_checkpoint: CheckpointSummary | null;
  /** Latest checkpoint that carries at least one proof. */
  latest_signed_checkpoint: CheckpointSummary | null;
  /** Distinct bonded watchers attesting each head, keyed `receipt_count/final_state_root` (recent heads only). */
  attestations: Record<string, string[]>;
  /** Highest head a quorum of bonded watchers attested. */
  quorum_head: { receipt_count: number; final_state_root: string; watchers: string[] } | null;
  updated_at: string;
}

interface BondDoc {
  [k: string]: Doc;
  status: string;
  corridor_ids: string[];
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Attested heads kept per corridor (older ones are dropped: finality only moves forward). */
const KEPT_HEADS = 64;

/** A checkpoint the record carries: the data itself, or under `checkpoint`. */
export function checkpointIn(data: unknown): JsonObject | undefined {
  for (const c of [data, isObject(data) ? data.checkpoint : undefined]) {
    if (isObject(c) && c.type === CHECKPOINT_TYPE && typeof c.corridor_id === 'string' && Number.isSafeInteger(c.receipt_count) && isHexDigest(c.final_state_root)) {
      return c as JsonObject;
    }
  }
  return undefined;
}

/** A watcher attestation credential the record carries: the data itself, or under `attestation` or `credential`. */
export function watcherAttestationIn(data: unknown): Obj | undefined {
  for (const c of [data, isObject(data) ? data.attestation : undefined, isObject(data) ? data.credential : undefined]) {
    if (!isObject(c) || !isObject(c.credentialSubject)) continue;
    const types = Array.isArray(c.type) ? c.type : [c.type];
    if (types.includes(WATCHER_ATTESTATION_CREDENTIAL)) return c;
  }
  return undefined;
}

function proofCount(doc: Obj): number {
  return Array.isArray(doc.proof) ? doc.proof.length : isObject(doc.proof) ? 1 : 0;
}

/** Watchers with an ACTIVE bond covering the corridor (the quorum's electorate). */
export function quorumSize(watchers: number): number {
  return watchers === 0 ? Infinity : Math.floor(watchers / 2) + 1;
}

/**
 * The finality of a corridor's head: `watcher_quorum` when a majority of the watchers bonded for the corridor
 * attested exactly this head; `checkpoint_signed` when the latest signed checkpoint is exactly this head;
 * `receipt_signed` when the head receipt carries a proof; `proposed` otherwise.
 */
export function headFinality(doc: CorridorStatusDoc): FinalityLevel {
  const h = doc.head;
  if (!h) return 'proposed';
  const count = h.sequence + 1;
  if (doc.quorum_head && doc.quorum_head.receipt_count === count && doc.quorum_head.final_state_root === h.next_root) return 'watcher_quorum';
  const ck = doc.latest_signed_checkpoint;
  if (ck && ck.receipt_count === count && ck.final_state_root === h.next_root) return 'checkpoint_signed';
  return h.signed ? 'receipt_signed' : 'proposed';
}

/**
 * Corridor status: lifecycle state, head (sequence, root, signed), MMR root, latest checkpoint, watcher attestations
 * and the finality of the head. Corridor events come from the corridor's chain; checkpoints and watcher
 * attestations from any event carrying one; bonds from the watcher-bond chains (to know the quorum).
 */
export function corridorStatusProjection(): ProjectionDefinition {
  return {
    name: CORRIDOR_STATUS,
    collections: {
      corridors: { index: (doc) => ({ state: [String((doc as CorridorStatusDoc).state ?? 'NONE')], all: ['*'] }) },
      streams: {},
      bonds: { index: (doc) => ({ active_for: (doc as BondDoc).status === 'ACTIVE' ? (doc as BondDoc).corridor_ids : [] }) },
    },
    async open() {
      const corridorOf = async (tx: FoldContext, record: LedgerRecord): Promise<CorridorStatusDoc | undefined> => {
        const id = isObject(record.data) && typeof record.data.corridor_id === 'string' ? record.data.corridor_id : ((await tx.get('streams', record.stream)) as string | undefined);
        if (id === undefined) return undefined;
        return (await tx.get('corridors', id)) as CorridorStatusDoc | undefined;
      };
      const fresh = (id: string, stream: string, at: string): CorridorStatusDoc => ({
        corridor_id: id,
        stream,
        state: null,
        since: null,
        lifecycle: null,
        head: null,
        receipt_count: 0,
        mmr: null,
        transitions_recorded: 0,
        latest_checkpoint: null,
        latest_signed_checkpoint: null,
        attestations: {},
        quorum_head: null,
        updated_at: at,
      });
      const electorate = async (tx: FoldContext, corridorId: string) => new Set(await tx.keysBy('bonds', 'active_for', corridorId));
      const updateQuorum = async (tx: FoldContext, doc: CorridorStatusDoc) => {
        const voters = await electorate(tx, doc.corridor_id);
        const need = quorumSize(voters.size);
        for (const [head, watchers] of Object.entries(doc.attestations)) {
          const valid = watchers.filter((w) => voters.has(w));
          if (valid.length < need) continue;
          const [count, root] = head.split('/') as [string, string];
          const receipt_count = Number(count);
          if (!doc.quorum_head || receipt_count > doc.quorum_head.receipt_count) doc.quorum_head = { receipt_count, final_state_root: root, watchers: valid.sort() };
        }
      };

      const corridorTypes: ReadonlySet<string> = new Set(Object.values(CORRIDOR_EVENTS));
      const bondTypes: ReadonlySet<string> = new Set([
        WATCHER_EVENTS.posted,
        WATCHER_EVENTS.toppedUp,
        WATCHER_EVENTS.slashed,
        WATCHER_EVENTS.unbondingStarted,
        WATCHER_EVENTS.withdrawn,
        WATCHER_EVENTS.banned,
      ]);
      /** Per corridor: its MMR accumulator and the `mmr` object of the document it belongs to. */
      const accumulators = new Map<string, { acc: MmrAccumulator; mmr: NonNullable<CorridorStatusDoc['mmr']> }>();
      /** Corridors of this batch whose MMR root and peaks are still to be written. */
      let unsettled = new Set<string>();
      return {
        async beforeCommit(tx) {
          for (const id of unsettled) {
            const doc = (await tx.get('corridors', id)) as CorridorStatusDoc | undefined;
            const known = accumulators.get(id);
            if (!doc || !known || doc.mmr !== known.mmr) throw new Error(`${CORRIDOR_STATUS}: corridor ${id} changed its MMR outside the fold`);
            const mmr = { size: known.acc.size, root: known.acc.root, peaks: known.acc.peaks };
            doc.mmr = mmr;
            known.mmr = mmr;
            tx.put('corridors', id, doc);
          }
          unsettled = new Set();
        },
        fold(record, tx) {
          const relevant = corridorTypes.has(record.type) || bondTypes.has(record.type) || checkpointIn(record.data) !== undefined || watcherAttestationIn(record.data) !== undefined;
          return relevant ? apply(record, tx) : undefined;
        },
      };

      async function apply(record: LedgerRecord, tx: FoldContext): Promise<void> {
        {
          const data = isObject(record.data) ? record.data : {};
          const at = recordTime(record);

          const checkpoint = checkpointIn(record.data);
          if (checkpoint) {
            const id = checkpoint.corridor_id as string;
            const doc = ((await tx.get('corridors', id)) as CorridorStatusDoc | undefined) ?? fresh(id, '', at);
            const mmr = isObject(checkpoint.mmr) && isHexDigest(checkpoint.mmr.root) ? checkpoint.mmr.root : null;
            const summary: CheckpointSummary = {
              digest: checkpointDigest(checkpoint),
              receipt_count: checkpoint.receipt_count as number,
              final_state_root: checkpoint.final_state_root as string,
              mmr_root: mmr,
              timestamp: normalizeTimestamp(checkpoint.timestamp),
              proofs: proofCount(checkpoint),
              stream: record.stream,
              sequence: record.sequence,
            };
            if (!doc.latest_checkpoint || summary.receipt_count >= doc.latest_checkpoint.receipt_count) doc.latest_checkpoint = summary;
            if (summary.proofs > 0 && (!doc.latest_signed_checkpoint || summary.receipt_count >= doc.latest_signed_checkpoint.receipt_count)) doc.latest_signed_checkpoint = summary;
            doc.updated_at = at;
            tx.put('corridors', id, doc);
            return;
          }

          const attestation = watcherAttestationIn(record.data);
          if (attestation) {
            const s = attestation.credentialSubject as Obj;
            const issuer = typeof attestation.issuer === 'string' ? attestation.issuer : isObject(attestation.issuer) ? attestation.issuer.id : undefined;
            if (typeof s.corridor_id !== 'string' || !Number.isSafeInteger(s.receipt_count) || !isHexDigest(s.final_state_root) || typeof issuer !== 'string') return;
            const doc = ((await tx.get('corridors', s.corridor_id)) as CorridorStatusDoc | undefined) ?? fresh(s.corridor_id, '', at);
            const head = `${s.receipt_count}/${s.final_state_root}`;
            const list = new Set(doc.attestations[head] ?? []);
            list.add(issuer);
            doc.attestations[head] = [...list].sort();
            const heads = Object.keys(doc.attestations).sort((a, b) => Number(b.split('/')[0]) - Number(a.split('/')[0]));
            for (const old of heads.slice(KEPT_HEADS)) delete doc.attestations[old];
            await updateQuorum(tx, doc);
            doc.updated_at = at;
            tx.put('corridors', s.corridor_id, doc);
            return;
          }

          switch (record.type) {
            case WATCHER_EVENTS.posted:
            case WATCHER_EVENTS.toppedUp:
            case WATCHER_EVENTS.slashed:
            case WATCHER_EVENTS.unbondingStarted:
            case WATCHER_EVENTS.withdrawn:
            case WATCHER_EVENTS.banned: {
              const id = String(data.watcher_id);
              const prev = (await tx.get('bonds', id)) as BondDoc | undefined;
              const corridor_ids = record.type === WATCHER_EVENTS.posted && Array.isArray(data.corridor_ids) ? (data.corridor_ids as string[]) : (prev?.corridor_ids ?? []);
              const status =
                record.type === WATCHER_EVENTS.posted
                  ? 'ACTIVE'
                  : record.type === WATCHER_EVENTS.toppedUp
                    ? 'ACTIVE'
                    : record.type === WATCHER_EVENTS.slashed
                      ? data.remaining === '0' ? 'SLASHED' : (prev?.status ?? 'ACTIVE')
                      : record.type === WATCHER_EVENTS.unbondingStarted
                        ? 'UNBONDING'
                        : record.type === WATCHER_EVENTS.withdrawn
                          ? 'NONE'
                          : 'BANNED';
              tx.put('bonds', id, { status, corridor_ids });
              return;
            }
            default:
              break;
          }

          if (!corridorTypes.has(record.type)) return;
          const id = typeof data.corridor_id === 'string' ? data.corridor_id : undefined;
          const doc = (await corridorOf(tx, record)) ?? (id ? fresh(id, '', at) : undefined);
          if (!doc) return;
          tx.put('streams', record.stream, doc.corridor_id);
          const r = record.receipt;
          if (record.type !== CORRIDOR_EVENTS.transitionRecorded) {
            if (record.type === CORRIDOR_EVENTS.created) doc.state = typeof data.state === 'string' ? data.state : doc.state;
            else if (typeof data.to_state === 'string') doc.state = data.to_state;
            doc.since = at;
            doc.lifecycle = { stream: record.stream, sequence: record.sequence, next_root: r ? r.next_root : null, signed: r ? r.proofs > 0 : false };
          } else {
            if (doc.stream === '') doc.stream = record.stream;
            if (doc.stream !== record.stream) {
              throw new Error(`${CORRIDOR_STATUS}: corridor ${doc.corridor_id} records transitions in ${record.stream} and ${doc.stream}`);
            }
            doc.transitions_recorded++;
            doc.head = { sequence: record.sequence, next_root: r ? r.next_root : null, timestamp: r ? normalizeTimestamp(r.timestamp) : at, signed: r ? r.proofs > 0 : false, type: record.type };
            doc.receipt_count = record.sequence + 1;
            if (r) {
              // The accumulator of this very `mmr` object when it is the one this handler wrote (no peaks to parse
              // again); its root and peaks are written once per batch, in beforeCommit.
              const known = doc.mmr ? accumulators.get(doc.corridor_id) : undefined;
              const acc = known !== undefined && known.mmr === doc.mmr ? known.acc : doc.mmr ? MmrAccumulator.fromPeaks(doc.mmr.size, doc.mmr.peaks) : new MmrAccumulator();
              if (acc.size !== record.sequence) throw new Error(`${CORRIDOR_STATUS}: corridor ${doc.corridor_id} MMR has ${acc.size} leaves, the receipt is sequence ${record.sequence}`);
              acc.appendNextRoot(r.next_root);
              // Until beforeCommit: the right size, the root and peaks of before (nothing reads them meanwhile).
              const mmr = { size: acc.size, root: doc.mmr?.root ?? '', peaks: doc.mmr?.peaks ?? [] };
              doc.mmr = mmr;
              accumulators.set(doc.corridor_id, { acc, mmr });
              unsettled.add(doc.corridor_id);
            }
          }
          doc.updated_at = at;
          tx.put('corridors', doc.corridor_id, doc);
        }
      }
    },
  };
}
