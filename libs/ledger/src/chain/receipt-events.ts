import { isDigest, isJsonObject, parseJsonText, type JsonObject } from '@corridor/protocol';
import { ChainIntegrityError } from '../port/errors';
import { eventIdFromDigest } from '../port/event-id';
import type { EventToAppend, GlobalPosition, StoredEvent } from '../port/event-store.port';
import type { ChainProfile } from './chain-profile';

/**
 * How a receipt is stored: one event per receipt, in the aggregate's receipt stream, at revision = sequence =
 * MMR leaf index.
 * - `id`: UUIDv5 of the receipt's `next_root` (see `eventIdFromDigest`);
 * - `type`: the profile's receipt type;
 * - `data`: the signed receipt as canonical JSON text, exactly the bytes that were signed over (plus proof);
 * - `metadata.mmr`: `leaf_index`; `nodes`, the MMR nodes this append created in post-order (the leaf hash, then
 *   each parent it completed), so any node of any past size is one point read away; `peaks`, the peak hashes of
 *   the MMR after this receipt (heights follow from the size), so the head loads from the last event alone.
 */
export interface ReceiptMmrMetadata {
  readonly leafIndex: number;
  readonly nodes: readonly string[];
  readonly peaks: readonly string[];
}

export interface StoredReceipt {
  readonly stream: string;
  readonly sequence: number;
  readonly eventId: string;
  readonly position: GlobalPosition;
  /** The signed receipt (integers beyond 2^53 are bigint). */
  readonly receipt: JsonObject;
  /** Its canonical JSON text as stored. */
  readonly text: string;
  readonly nextRoot: string;
  readonly mmr: ReceiptMmrMetadata;
}

export function receiptEvent(profile: ChainProfile, text: string, nextRoot: string, mmr: ReceiptMmrMetadata): EventToAppend {
  return {
    id: eventIdFromDigest(nextRoot),
    type: profile.receiptType,
    data: text,
    metadata: { mmr: { leaf_index: mmr.leafIndex, nodes: [...mmr.nodes], peaks: [...mmr.peaks] } },
  };
}

export function decodeReceiptEvent(profile: ChainProfile, event: StoredEvent): StoredReceipt {
  const broken = (what: string) => new ChainIntegrityError(event.stream, `receipt event at revision ${event.revision}: ${what}`);
  if (event.type !== profile.receiptType) throw broken(`type ${event.type} is not ${profile.receiptType}`);
  let receipt: JsonObject;
  try {
    const value = parseJsonText(event.data);
    if (!isJsonObject(value)) throw new Error('not a JSON object');
    receipt = value;
  } catch (e) {
    throw broken(`data is not a receipt: ${(e as Error).message}`);
  }
  if (receipt.sequence !== event.revision) throw broken(`receipt sequence ${String(receipt.sequence)} is not the revision`);
  const nextRoot = receipt.next_root;
  if (!isDigest(nextRoot)) throw broken('next_root is not a digest');
  if (eventIdFromDigest(nextRoot) !== event.id) throw broken('event id does not derive from next_root');
  const mmr = (event.metadata as { mmr?: unknown } | undefined)?.mmr as { leaf_index?: unknown; nodes?: unknown; peaks?: unknown } | undefined;
  if (!mmr || mmr.leaf_index !== event.revision || !isDigestList(mmr.nodes) || mmr.nodes.length === 0 || !isDigestList(mmr.peaks) || mmr.peaks.length === 0) {
    throw broken('metadata.mmr is missing or malformed');
  }
  return {
    stream: event.stream,
    sequence: event.revision,
    eventId: event.id,
    position: event.position,
    receipt,
    text: event.data,
    nextRoot,
    mmr: { leafIndex: event.revision, nodes: mmr.nodes, peaks: mmr.peaks },
  };
}

function isDigestList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every(isDigest);
}
