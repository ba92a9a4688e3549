import { CHECKPOINT_TYPE, CORRIDOR_RECEIPT_TYPE, canonicalize, isDigest, normalizeDigestSet, type JsonObject } from '@corridor/protocol';
import { InvalidAppendError } from '../port/errors';

/**
 * What distinguishes one kind of receipt chain from another. Corridors, migration sagas, watcher bonds and
 * disputes all use the same chain algorithm; they differ in the receipt `type`, the name of the field that
 * holds the aggregate id, the checkpoint `type`, and their stream names.
 */
export interface ChainProfile {
  /** Receipt `type`, e.g. `MSEZCorridorStateReceipt`. Also the store's event type of receipts. */
  readonly receiptType: string;
  /** Field of the receipt (and checkpoint) holding the aggregate id, e.g. `corridor_id`. */
  readonly idField: string;
  /** Checkpoint `type`, e.g. `MSEZCorridorStateCheckpoint`. */
  readonly checkpointType: string;
  /** Receipt stream of an aggregate: `<receiptStreamPrefix><id>`. */
  readonly receiptStreamPrefix: string;
  /** Stored checkpoints of an aggregate: `<checkpointStreamPrefix><id>`. Must not start with the receipt prefix. */
  readonly checkpointStreamPrefix: string;
}

export const CORRIDOR_CHAIN_PROFILE: ChainProfile = Object.freeze({
  receiptType: CORRIDOR_RECEIPT_TYPE,
  idField: 'corridor_id',
  checkpointType: CHECKPOINT_TYPE,
  receiptStreamPrefix: 'corridor-',
  checkpointStreamPrefix: 'corridorCheckpoint-',
});

/** One chain: an aggregate id and what its receipts commit to besides the transition. */
export interface ChainDescriptor {
  readonly id: string;
  /** prev_root of the first receipt (e.g. the corridor's genesis root). */
  readonly genesisRoot: string;
  readonly lawpackDigestSet: readonly string[];
  readonly rulesetDigestSet: readonly string[];
  /** Extra fields every receipt carries (e.g. `transition_type_registry_digest_sha256`). */
  readonly receiptFields?: JsonObject;
}

/** A descriptor checked and normalised (digest sets deduplicated and sorted as the protocol requires). */
export interface NormalizedChain {
  readonly id: string;
  readonly genesisRoot: string;
  readonly lawpackDigestSet: string[];
  readonly rulesetDigestSet: string[];
  readonly receiptFields: JsonObject;
}

const RESERVED_FIELDS = new Set(['type', 'sequence', 'timestamp', 'prev_root', 'lawpack_digest_set', 'ruleset_digest_set', 'transition', 'next_root', 'proof']);

export function normalizeChain(profile: ChainProfile, chain: ChainDescriptor): NormalizedChain {
  if (typeof chain.id !== 'string' || chain.id.length === 0) throw new InvalidAppendError('a chain needs a non-empty id');
  if (!isDigest(chain.genesisRoot)) throw new InvalidAppendError(`genesisRoot must be 64 lowercase hex, got ${JSON.stringify(chain.genesisRoot)}`);
  const receiptFields = { ...(chain.receiptFields ?? {}) };
  for (const k of Object.keys(receiptFields)) {
    if (RESERVED_FIELDS.has(k) || k === profile.idField) throw new InvalidAppendError(`receiptFields may not set the receipt field ${k}`);
  }
  try {
    canonicalize(receiptFields);
  } catch (e) {
    throw new InvalidAppendError(`receiptFields are not canonical JSON: ${(e as Error).message}`, { cause: e });
  }
  try {
    return {
      id: chain.id,
      genesisRoot: chain.genesisRoot,
      lawpackDigestSet: normalizeDigestSet([...chain.lawpackDigestSet]),
      rulesetDigestSet: normalizeDigestSet([...chain.rulesetDigestSet]),
      receiptFields,
    };
  } catch (e) {
    throw new InvalidAppendError(`invalid digest set: ${(e as Error).message}`, { cause: e });
  }
}

export function receiptStream(profile: ChainProfile, id: string): string {
  return profile.receiptStreamPrefix + id;
}

export function checkpointStream(profile: ChainProfile, id: string): string {
  return profile.checkpointStreamPrefix + id;
}
