import {
  digestOf,
  makeTransitionEnvelope,
  normalizeDigestSet,
  sealReceipt,
  type JsonObject,
  type JsonValue,
  type TransitionEnvelope,
} from '@corridor/protocol';
import type { DomainEvent } from '../shared/decider';
import { MIGRATION_SAGA_POLICY_DOCUMENT } from '../migration-saga/policy';
import { WATCHER_SLASHING_DOCUMENT } from '../watcher-bond/slashing';

/**
 * The receipt chains of the aggregates other than the corridor. They use the corridor's chain algorithm unchanged
 * (next_root = SHA-256 of the canonical receipt without proof and next_root; MMR over the next_roots), with their
 * own receipt type and genesis tag. These names are this project's, in the msez naming era; the reference has no
 * such chains. Specification: spec/receipt-chains.md.
 */
export interface ReceiptChain {
  readonly aggregate: 'migration-saga' | 'watcher-bond' | 'dispute';
  readonly receiptType: string;
  readonly genesisTag: string;
  /** The receipt field naming the aggregate instance. */
  readonly subjectField: 'migration_id' | 'watcher_id' | 'dispute_id';
  /** Whether the chain belongs to one corridor (its receipts then carry corridor_id and its genesis the corridor's). */
  readonly corridorBound: boolean;
  /** The governance documents the aggregate's decider enforces; their digests form the ruleset digest set. */
  readonly governance: readonly unknown[];
}

export const MIGRATION_SAGA_CHAIN: ReceiptChain = {
  aggregate: 'migration-saga',
  receiptType: 'MSEZMigrationSagaReceipt',
  genesisTag: 'msez.migration-saga.genesis.v1',
  subjectField: 'migration_id',
  corridorBound: true,
  governance: [MIGRATION_SAGA_POLICY_DOCUMENT],
};

export const WATCHER_BOND_CHAIN: ReceiptChain = {
  aggregate: 'watcher-bond',
  receiptType: 'MSEZWatcherBondReceipt',
  genesisTag: 'msez.watcher-bond.genesis.v1',
  subjectField: 'watcher_id',
  corridorBound: false,
  governance: [WATCHER_SLASHING_DOCUMENT],
};

export const DISPUTE_CHAIN: ReceiptChain = {
  aggregate: 'dispute',
  receiptType: 'MSEZDisputeReceipt',
  genesisTag: 'msez.dispute.genesis.v1',
  subjectField: 'dispute_id',
  corridorBound: true,
  governance: [],
};

export const RECEIPT_CHAINS = { 'migration-saga': MIGRATION_SAGA_CHAIN, 'watcher-bond': WATCHER_BOND_CHAIN, dispute: DISPUTE_CHAIN } as const;

/** The digests of the governance documents the chain's decider enforces (canonical JSON, normalized set). */
export function rulesetDigestSet(chain: ReceiptChain): string[] {
  return normalizeDigestSet(chain.governance.map((doc) => digestOf(doc)));
}

/** Who a chain is about: the aggregate id, and for corridor-bound chains the corridor instance. */
export interface ChainSubject {
  readonly subject_id: string;
  readonly corridor_id?: string;
  readonly corridor_genesis_root?: string;
}

function subjectFields(chain: ReceiptChain, subject: ChainSubject): JsonObject {
  const fields: JsonObject = { [chain.subjectField]: subject.subject_id };
  if (chain.corridorBound) {
    if (subject.corridor_id === undefined || subject.corridor_genesis_root === undefined) {
      throw new Error(`a ${chain.aggregate} chain is bound to a corridor: corridor_id and corridor_genesis_root are required`);
    }
    fields.corridor_id = subject.corridor_id;
    fields.corridor_genesis_root = subject.corridor_genesis_root;
  }
  return fields;
}

/**
 * The first receipt's prev_root: `SHA256(canonical({tag, <subject field>, [corridor_id, corridor_genesis_root],
 * ruleset_digest_set}))`. The subject id makes every instance's chain distinct; the corridor genesis root binds a
 * saga or dispute to one corridor instance; the ruleset set commits to the governance rules in force.
 */
export function aggregateGenesis(chain: ReceiptChain, subject: ChainSubject): { payload: JsonObject; genesis_root: string } {
  const payload: JsonObject = { tag: chain.genesisTag, ...subjectFields(chain, subject), ruleset_digest_set: rulesetDigestSet(chain) };
  return { payload, genesis_root: digestOf(payload) };
}

/** The transition a domain event is recorded as: kind = the event's stable name, payload = its data. */
export function eventTransition(event: DomainEvent): TransitionEnvelope {
  return makeTransitionEnvelope({ kind: event.type, payload: event.data as JsonValue });
}

export interface AggregateReceiptInput {
  readonly subject: ChainSubject;
  readonly sequence: number;
  readonly prev_root: string;
  readonly event: DomainEvent<string, { at: string }>;
}

/**
 * An unsigned receipt for one event of an aggregate chain, sealed (next_root set); sign it with `addProof`. The
 * timestamp is the event's own time; the genesis root's corridor_genesis_root is not repeated in receipts.
 */
export function buildAggregateReceipt(chain: ReceiptChain, input: AggregateReceiptInput): JsonObject & { next_root: string } {
  const { corridor_genesis_root: _genesis, ...subject } = subjectFields(chain, input.subject);
  return sealReceipt({
    type: chain.receiptType,
    ...subject,
    sequence: input.sequence,
    timestamp: input.event.data.at,
    prev_root: input.prev_root,
    lawpack_digest_set: [],
    ruleset_digest_set: rulesetDigestSet(chain),
    transition: eventTransition(input.event),
  });
}
