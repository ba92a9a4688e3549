import { digestOf, sha256Hex } from '@corridor/protocol';
import { isHexDigest } from '../tensor/hex';
import type { GlobalPosition, StoredEvent } from '@corridor/ledger';

/** What a signed receipt says about the event it carries (absent when the stored event is not a receipt). */
export interface ReceiptFacts {
  /** Receipt `type` (e.g. `MSEZCorridorStateReceipt`). */
  readonly type: string;
  /** The chain the receipt belongs to: its `migration_id`, `watcher_id`, `dispute_id` or else `corridor_id`. */
  readonly chain_id: string;
  readonly sequence: number;
  readonly timestamp: string;
  readonly prev_root: string;
  readonly next_root: string;
  /** Kind of the transition envelope the receipt commits to. */
  readonly transition_kind: string;
  readonly payload_sha256: string | null;
  /** Number of proofs the receipt carries (they are not verified here: the ledger verified them on append). */
  readonly proofs: number;
}

/**
 * One event of the global log as projections see it: the stream and its gap-checked sequence, the global
 * position, the domain event (stable type name and data) and, when the stored event is a receipt, its facts.
 */
export interface LedgerRecord {
  readonly stream: string;
  /** The MMR leaf index: the receipt's `sequence`, or the stream revision for an event that is not a receipt. */
  readonly sequence: number;
  readonly position: GlobalPosition;
  readonly eventId: string;
  /** The domain event's stable type name, as stored (`corridor.transition-recorded.v1`, `dispute.ruling-issued.v1`, …). */
  readonly type: string;
  /** The domain event's data. */
  readonly data: unknown;
  readonly receipt: ReceiptFacts | undefined;
  /**
   * A digest identifying this record: the receipt's `next_root`, or SHA-256 of the stored data for an event that
   * is not a receipt.
   */
  readonly digest: string;
  readonly recordedAt: Date;
}

export class LedgerRecordError extends Error {
  constructor(
    readonly stream: string,
    readonly revision: number,
    message: string,
  ) {
    super(`${stream}@${revision}: ${message}`);
    this.name = 'LedgerRecordError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstText(...values: unknown[]): string {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return '';
}

function proofCount(proof: unknown): number {
  if (Array.isArray(proof)) return proof.length;
  return isObject(proof) ? 1 : 0;
}

/**
 * Reads a stored event. Two layouts are understood:
 * - a receipt (canonical JSON with `sequence`, `prev_root`, `next_root` and a `transition` envelope): the domain
 *   event's type is the stored event type; its data the envelope's payload when the envelope's kind is that type,
 *   else (a corridor state channel, whose receipts commit to the recorded transition itself)
 *   `{corridor_id, at, transition}`; the sequence is the receipt's;
 * - any other JSON document: the document is the domain event's data, the sequence is the stream revision.
 * Data that is not JSON is an error (it stops the projection: nothing is skipped silently).
 */
export function decodeStoredEvent(event: StoredEvent): LedgerRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch (e) {
    throw new LedgerRecordError(event.stream, event.revision, `event data is not JSON: ${(e as Error).message}`);
  }
  if (isObject(parsed) && typeof parsed.sequence === 'number' && isObject(parsed.transition) && isHexDigest(parsed.next_root)) {
    const r = parsed;
    const t = r.transition as Record<string, unknown>;
    const sequence = r.sequence as number;
    if (!Number.isSafeInteger(sequence) || sequence < 0) {
      throw new LedgerRecordError(event.stream, event.revision, `receipt sequence must be an integer ≥ 0, got ${String(sequence)}`);
    }
    const kind = typeof t.kind === 'string' ? t.kind : '';
    const timestamp = typeof r.timestamp === 'string' ? r.timestamp : '';
    const receipt: ReceiptFacts = {
      type: typeof r.type === 'string' ? r.type : '',
      chain_id: firstText(r.migration_id, r.watcher_id, r.dispute_id, r.corridor_id),
      sequence,
      timestamp,
      prev_root: typeof r.prev_root === 'string' ? r.prev_root : '',
      next_root: r.next_root as string,
      transition_kind: kind,
      payload_sha256: isHexDigest(t.payload_sha256) ? t.payload_sha256 : null,
      proofs: proofCount(r.proof),
    };
    // A receipt commits to its event as the envelope {kind: event type, payload: event data}; a corridor's state
    // channel commits to the recorded transition itself (kind: the transition's kind), and the event's data is
    // then what the receipt says: the corridor, the time and that transition.
    const data =
      kind === event.type || kind === ''
        ? 'payload' in t
          ? t.payload
          : null
        : { corridor_id: typeof r.corridor_id === 'string' ? r.corridor_id : null, at: timestamp, transition: t };
    return { stream: event.stream, sequence, position: event.position, eventId: event.id, type: event.type, data, receipt, digest: receipt.next_root, recordedAt: event.recordedAt };
  }
  return {
    stream: event.stream,
    sequence: event.revision,
    position: event.position,
    eventId: event.id,
    type: event.type,
    data: parsed,
    receipt: undefined,
    digest: sha256Hex(event.data),
    recordedAt: event.recordedAt,
  };
}

/** The envelope digest a transition carries, or the digest of its payload. */
export function transitionDigest(envelope: { payload?: unknown; payload_sha256?: unknown }): string {
  return isHexDigest(envelope.payload_sha256) ? envelope.payload_sha256 : digestOf(envelope.payload ?? null);
}
