import { RECEIPT_CHAINS } from '@corridor/domain';
import {
  baseDid,
  computeNextRoot,
  digestOf,
  isJsonObject,
  mmrRootFromNextRoots,
  normalizeDigestSet,
  verifiedSigners,
  verifyMmrPeaks,
  type JsonObject,
  type MmrPeak,
} from '@corridor/protocol';
import { LIFECYCLE_GENESIS_TAG, LIFECYCLE_RECEIPT_TYPE } from './bundle';

/**
 * Verification of the chains that are not a corridor state channel — a corridor's lifecycle chain and the chains of
 * migration sagas, watcher bonds and disputes (spec/receipt-chains.md, spec/node.md §2). Same algorithm as the
 * state channel: every receipt's next_root recomputed, at least one valid proof, prev_root → previous next_root
 * from the genesis root, sequence = position, and the MMR over the next_roots; the genesis root is recomputed
 * from its preimage (tag, subject, corridor binding, ruleset digest set of the first receipt).
 */
export type AggregateChainKind = 'corridor_lifecycle' | 'migration' | 'watcher_bond' | 'dispute';

interface ChainSpec {
  receiptType: string;
  genesisTag: string;
  subjectField: string;
  corridorBound: boolean;
  /** Where the first event records the corridor's genesis root (corridor-bound chains). */
  streamPrefix: string;
}

export const CHAIN_SPECS: Record<AggregateChainKind, ChainSpec> = {
  corridor_lifecycle: { receiptType: LIFECYCLE_RECEIPT_TYPE, genesisTag: LIFECYCLE_GENESIS_TAG, subjectField: 'corridor_id', corridorBound: false, streamPrefix: 'corridor_lifecycle-' },
  migration: { ...specOf(RECEIPT_CHAINS['migration-saga']), streamPrefix: 'migration-' },
  watcher_bond: { ...specOf(RECEIPT_CHAINS['watcher-bond']), streamPrefix: 'watcher_bond-' },
  dispute: { ...specOf(RECEIPT_CHAINS.dispute), streamPrefix: 'dispute-' },
};

function specOf(c: { receiptType: string; genesisTag: string; subjectField: string; corridorBound: boolean }) {
  return { receiptType: c.receiptType, genesisTag: c.genesisTag, subjectField: c.subjectField, corridorBound: c.corridorBound };
}

export interface ChainError {
  check: string;
  message: string;
  path?: string;
}

export interface CheckpointReport {
  valid: boolean;
  receipt_count: number | null;
  signers: string[];
  errors: ChainError[];
}

export interface AggregateChainReport {
  kind: AggregateChainKind;
  stream: string;
  valid: boolean;
  receipt_count: number;
  genesis_root: string | null;
  final_state_root: string | null;
  mmr: { size: number; root: string; peaks: MmrPeak[] };
  checkpoint: CheckpointReport | null;
  errors: ChainError[];
}

const MAX_ERRORS = 50;

/**
 * Verifies one aggregate chain given in sequence order. `basePath` names the receipts in errors (`…/receipts/3`).
 * `checkpoint`, when given, must be signed, by `nodeDid` when that is given, and state this chain's head exactly.
 */
export function verifyAggregateChain(
  kind: AggregateChainKind,
  subjectId: string,
  receipts: readonly JsonObject[],
  options: { basePath: string; checkpoint?: JsonObject | null; checkpointPath?: string; nodeDid?: string; corridorGenesisRoot?: string },
): AggregateChainReport {
  const spec = CHAIN_SPECS[kind];
  const errors: ChainError[] = [];
  const push = (e: ChainError) => {
    if (errors.length < MAX_ERRORS) errors.push(e);
  };
  const stream = spec.streamPrefix + subjectId;
  let genesis: string | null = null;
  const first = receipts[0];
  if (first) {
    try {
      genesis = genesisRootOf(spec, subjectId, first);
    } catch (e) {
      push({ check: 'genesis', message: `cannot recompute the genesis root: ${(e as Error).message}`, path: `${options.basePath}/0` });
    }
    if (genesis !== null && spec.corridorBound && options.corridorGenesisRoot !== undefined) {
      const declared = corridorGenesisOf(first);
      if (declared !== options.corridorGenesisRoot) {
        push({ check: 'corridor-binding', message: `the chain is bound to corridor genesis ${declared} but the corridor's genesis root is ${options.corridorGenesisRoot}`, path: `${options.basePath}/0` });
      }
    }
  }
  let prev: string | null = genesis;
  const nextRoots: string[] = [];
  receipts.forEach((r, i) => {
    const expectedPrev = prev;
    // The next link is checked against what this receipt declares, so one bad receipt is reported once.
    prev = typeof r.next_root === 'string' ? r.next_root : null;
    const path = `${options.basePath}/${i}`;
    const fail = (check: string, message: string) => push({ check, message: `${message}: ${path}`, path });
    if (r.type !== spec.receiptType) return fail('schema', `receipt type must be ${spec.receiptType}, got ${JSON.stringify(r.type)}`);
    if (r[spec.subjectField] !== subjectId) return fail('subject', `${spec.subjectField} must be ${subjectId}, got ${JSON.stringify(r[spec.subjectField])}`);
    if (r.sequence !== i) return fail('sequence', `expected sequence ${i}, got ${JSON.stringify(String(r.sequence))}`);
    if (typeof r.prev_root !== 'string' || (expectedPrev !== null && r.prev_root !== expectedPrev)) {
      return fail(i === 0 ? 'genesis-mismatch' : 'prev-root', `prev_root ${JSON.stringify(r.prev_root)} does not continue the chain (expected ${expectedPrev})`);
    }
    let computed: string;
    try {
      computed = computeNextRoot(r);
    } catch (e) {
      return fail('next-root', `next_root recompute failed: ${(e as Error).message}`);
    }
    if (r.next_root !== computed) return fail('next-root', `next_root mismatch: declared ${String(r.next_root)} computed ${computed}`);
    const t = r.transition;
    if (!isJsonObject(t) || typeof t.kind !== 'string') return fail('transition', 'the receipt carries no transition envelope');
    let payloadDigest: string;
    try {
      payloadDigest = digestOf(t.payload ?? null);
    } catch (e) {
      return fail('transition', `payload cannot be canonicalized: ${(e as Error).message}`);
    }
    if (t.payload_sha256 !== payloadDigest) return fail('transition', `payload_sha256 ${String(t.payload_sha256)} is not the payload's digest ${payloadDigest}`);
    let signers: Set<string>;
    try {
      signers = verifiedSigners(r, { untilFirstValid: true });
    } catch (e) {
      return fail('proof', `receipt proof verification failed: ${(e as Error).message}`);
    }
    if (signers.size === 0) return fail('proof', 'receipt signature verification failed (no valid proofs)');
    nextRoots.push(computed);
  });
  const mmrFull = errors.length === 0 ? mmrRootFromNextRoots(nextRoots) : { size: 0, root: '', peaks: [] as MmrPeak[] };
  const mmr = { size: mmrFull.size, root: mmrFull.root, peaks: mmrFull.peaks.map((p) => ({ height: p.height, hash: p.hash })) };
  const head = { receipt_count: receipts.length, genesis_root: genesis, final_state_root: nextRoots.length ? nextRoots[nextRoots.length - 1]! : genesis, mmr };
  let checkpoint: CheckpointReport | null = null;
  if (options.checkpoint !== undefined && options.checkpoint !== null) {
    // The node's checkpoints name the corridor of a corridor-bound chain, else the chain's subject.
    const checkpointSubject = first && typeof first.corridor_id === 'string' ? first.corridor_id : subjectId;
    checkpoint = checkHead(options.checkpoint, errors.length === 0 ? head : null, { path: options.checkpointPath ?? `${options.basePath}/../checkpoint`, nodeDid: options.nodeDid, subjectId: checkpointSubject });
  }
  const valid = errors.length === 0 && (checkpoint === null || checkpoint.valid);
  return { kind, stream, valid, receipt_count: receipts.length, genesis_root: genesis, final_state_root: errors.length === 0 ? head.final_state_root : null, mmr, checkpoint, errors };
}

export function genesisRootOf(spec: ChainSpec, subjectId: string, first: JsonObject): string {
  const rulesets = normalizeDigestSet(Array.isArray(first.ruleset_digest_set) ? first.ruleset_digest_set : []);
  const preimage: JsonObject = { tag: spec.genesisTag, [spec.subjectField]: subjectId, ruleset_digest_set: rulesets };
  if (spec.corridorBound) {
    const corridorGenesis = corridorGenesisOf(first);
    if (typeof first.corridor_id !== 'string' || corridorGenesis === undefined) {
      throw new Error('the first receipt of a corridor-bound chain must name corridor_id and record corridor_genesis_root in its payload');
    }
    preimage.corridor_id = first.corridor_id;
    preimage.corridor_genesis_root = corridorGenesis;
  }
  return digestOf(preimage);
}

function corridorGenesisOf(first: JsonObject): string | undefined {
  const t = first.transition;
  const p = isJsonObject(t) ? t.payload : undefined;
  return isJsonObject(p) && typeof p.corridor_genesis_root === 'string' ? p.corridor_genesis_root : undefined;
}

/**
 * A checkpoint the node signed for a chain head: at least one valid proof (from `nodeDid` when given), and the
 * subject, genesis root, count, final root, MMR size, root and peaks of the head recomputed from the receipts.
 */
export function checkHead(
  ck: JsonObject,
  head: { receipt_count: number; genesis_root: string | null; final_state_root: string | null; mmr: { size: number; root: string } } | null,
  options: { path: string; nodeDid?: string; subjectId: string },
): CheckpointReport {
  const errors: ChainError[] = [];
  const push = (check: string, message: string) => errors.push({ check, message: `${message}: ${options.path}`, path: options.path });
  let signers: string[] = [];
  try {
    signers = [...verifiedSigners(ck)].sort();
  } catch (e) {
    push('checkpoint-proof', `checkpoint proof verification failed: ${(e as Error).message}`);
  }
  if (signers.length === 0) push('checkpoint-proof', 'checkpoint signature verification failed (no valid proofs)');
  else if (options.nodeDid && !signers.includes(baseDid(options.nodeDid))) push('checkpoint-signer', `checkpoint is not signed by the node ${options.nodeDid}`);
  const count = typeof ck.receipt_count === 'number' ? ck.receipt_count : null;
  if (ck.corridor_id !== options.subjectId) push('checkpoint-subject', `checkpoint names ${JSON.stringify(ck.corridor_id)}, not ${options.subjectId}`);
  const mmr = isJsonObject(ck.mmr) ? ck.mmr : {};
  const v = verifyMmrPeaks({ size: mmr.size, root: mmr.root, peaks: mmr.peaks });
  if (!v.valid) push('checkpoint-mmr', `checkpoint mmr is inconsistent: ${v.detail ?? v.reason}`);
  if (head) {
    if (count !== head.receipt_count) push('checkpoint-receipt-count', `checkpoint receipt_count ${String(ck.receipt_count)} but the chain has ${head.receipt_count} receipts`);
    if (ck.genesis_root !== head.genesis_root) push('checkpoint-genesis', 'checkpoint genesis_root mismatch');
    if (ck.final_state_root !== head.final_state_root) push('checkpoint-final-state-root', 'checkpoint final_state_root mismatch');
    if (mmr.size !== head.mmr.size) push('checkpoint-mmr-size', 'checkpoint mmr.size mismatch');
    if (mmr.root !== head.mmr.root) push('checkpoint-mmr-root', 'checkpoint mmr.root mismatch');
  }
  return { valid: errors.length === 0 && head !== null, receipt_count: count, signers, errors };
}
