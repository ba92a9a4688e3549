import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  addProof,
  buildReceipt,
  canonicalize,
  digestOf,
  Ed25519KeyPair,
  makeTransitionEnvelope,
  type JsonObject,
  type JsonValue,
} from '@corridor/protocol';
import { eventIdFromDigest, SqliteEventStore, type GlobalPosition } from '@corridor/ledger';

export const NODE_KEY = Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(7));

/** A temporary directory removed by `cleanup()`. */
export function tempDir(): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'corridor-compliance-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface AppendOptions {
  /** Sign the receipt (default true). */
  readonly signed?: boolean;
  /** Write this sequence into the receipt instead of the next one (to forge gaps). */
  readonly sequence?: number;
  /** Store the event as plain JSON, not as a receipt. */
  readonly plain?: boolean;
  /**
   * The receipt's transition instead of `{kind: type, payload: data}`: how a corridor's state channel commits to the
   * recorded transition itself.
   */
  readonly envelope?: JsonObject;
}

/**
 * Writes receipts into a real SQLite event store the way the receipt-chain writer lays them out: canonical JSON
 * of a sealed receipt whose transition is `{kind: event type, payload: event data}`, event id derived from
 * `next_root`, exact expected revision.
 */
export class TestLedger {
  private readonly heads = new Map<string, { revision: number; sequence: number; root: string }>();

  constructor(readonly events: SqliteEventStore) {}

  static open(file: string): TestLedger {
    return new TestLedger(SqliteEventStore.open({ path: file, durability: 'normal', pollIntervalMs: 20 }));
  }

  async append(stream: string, type: string, data: JsonObject, options: AppendOptions = {}): Promise<GlobalPosition> {
    const head = this.heads.get(stream);
    const revision = head ? head.revision + 1 : 0;
    const sequence = options.sequence ?? (head ? head.sequence + 1 : 0);
    let id: string;
    let text: string;
    let root: string;
    if (options.plain) {
      text = canonicalize(data);
      root = digestOf(data);
      id = eventIdFromDigest(digestOf({ stream, revision, data }));
    } else {
      const receipt = buildReceipt({
        // Receipts name their corridor (a saga's or dispute's chain also carries the corridor it runs on).
        corridor_id: typeof data.corridor_id === 'string' ? data.corridor_id : stream,
        sequence,
        timestamp: typeof data.at === 'string' ? data.at : '2025-01-01T00:00:00Z',
        prev_root: head ? head.root : digestOf({ genesis: stream }),
        lawpack_digest_set: [],
        ruleset_digest_set: [],
        transition: options.envelope ? makeTransitionEnvelope(options.envelope) : makeTransitionEnvelope({ kind: type, payload: data as JsonValue }),
      });
      const stored = options.signed === false ? receipt : addProof(receipt, NODE_KEY, { created: '2025-01-01T00:00:00Z' });
      text = canonicalize(stored);
      root = receipt.next_root;
      id = eventIdFromDigest(receipt.next_root);
    }
    await this.events.append(stream, [{ id, type, data: text }], head ? head.revision : 'no_stream');
    this.heads.set(stream, { revision, sequence, root });
    const last = await this.events.readLast(stream);
    return last!.position;
  }

  async close(): Promise<void> {
    await this.events.close();
  }
}

/** A corridor transition event (`corridor.transition-recorded.v1`) as the corridor aggregate records it. */
export function transitionRecorded(corridorId: string, ordinal: number, at: string, kind: string, payload: JsonObject): JsonObject {
  return { corridor_id: corridorId, at, ordinal, transition: makeTransitionEnvelope({ kind, payload }) as unknown as JsonObject };
}

/**
 * Appends a recorded transition to a corridor's state channel as the node does: the receipt's transition is the
 * recorded envelope itself (`stateChannel: true`, the default), or, with `stateChannel: false`, the generic layout
 * `{kind: 'corridor.transition-recorded.v1', payload: event data}`.
 */
export function recordTransition(
  ledger: TestLedger,
  stream: string,
  corridorId: string,
  ordinal: number,
  at: string,
  kind: string,
  payload: JsonObject,
  options: { stateChannel?: boolean; signed?: boolean } = {},
): Promise<GlobalPosition> {
  const data = transitionRecorded(corridorId, ordinal, at, kind, payload);
  return ledger.append(stream, 'corridor.transition-recorded.v1', data, {
    signed: options.signed,
    envelope: options.stateChannel === false ? undefined : (data.transition as JsonObject),
  });
}
