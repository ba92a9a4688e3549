import { createHash } from 'node:crypto';
import {
  addProof,
  buildCheckpoint,
  buildReceipt,
  canonicalize,
  Ed25519KeyPair,
  genesisRoot,
  makeTransitionEnvelope,
  MmrNodeLog,
  sha256Hex,
  type JsonObject,
} from '@corridor/protocol';
import { signerPolicy, type CorridorFacts, type SignerPolicy } from '../../../apps/watcher/src';

export const keyFromSeed = (seed: string, kid?: string) => Ed25519KeyPair.fromSeed(createHash('sha256').update(seed).digest(), kid);

export interface TestChainOptions {
  corridorId?: string;
  /** Peered: the sequencer signs first, then every co-signer. Lone: the node's key only. */
  signers?: Ed25519KeyPair[];
  peered?: boolean;
  seed?: string;
}

/**
 * A corridor state channel built with the protocol's own helpers, exactly as a node builds it: sealed receipts
 * linked from a genesis root, the sequencer's proof first and co-signatures after it, canonical JSON text as a node
 * serves it, the MMR node log for checkpoints and consistency proofs.
 */
export class TestChain {
  readonly corridorId: string;
  /** The current keys (a rotation replaces one: `rotate`). */
  readonly signers: Ed25519KeyPair[];
  readonly peered: boolean;
  readonly genesisRoot: string;
  readonly lawpack: string[];
  readonly ruleset: string[];
  readonly receipts: JsonObject[] = [];
  readonly texts: string[] = [];
  readonly mmr = new MmrNodeLog();
  private readonly seed: string;

  constructor(options: TestChainOptions = {}) {
    this.corridorId = options.corridorId ?? 'org.example.watched';
    this.seed = options.seed ?? this.corridorId;
    this.signers = options.signers ?? [keyFromSeed(`${this.seed}:node`, 'node')];
    this.peered = options.peered ?? this.signers.length > 1;
    this.lawpack = [sha256Hex(`${this.seed}:lawpack`)];
    this.ruleset = [sha256Hex(`${this.seed}:ruleset-a`), sha256Hex(`${this.seed}:ruleset-b`)].sort();
    this.genesisRoot = genesisRoot({
      corridor_id: this.corridorId,
      definition_payload_sha256: sha256Hex(`${this.seed}:definition`),
      agreement_set_sha256: sha256Hex(`${this.seed}:agreements`),
      lawpack_digest_set: this.lawpack,
      ruleset_digest_set: this.ruleset,
    });
  }

  get policy(): SignerPolicy {
    return signerPolicy(this.signers[0].did, this.signers.map((k) => k.did), this.peered);
  }

  /** Fresh corridor facts (nothing pinned yet), as a watcher starts. */
  facts(): CorridorFacts {
    return { corridorId: this.corridorId, genesisRoot: null, lawpackDigestSet: null, rulesetDigestSet: null };
  }

  get size(): number {
    return this.receipts.length;
  }

  get head(): string {
    return this.receipts.length === 0 ? this.genesisRoot : (this.receipts[this.receipts.length - 1].next_root as string);
  }

  /** Builds the next receipt (not appended): sealed and signed by every signer. */
  build(payload: JsonObject = {}, options: { sequence?: number; prevRoot?: string; signers?: Ed25519KeyPair[] } = {}): JsonObject {
    const sequence = options.sequence ?? this.receipts.length;
    const timestamp = new Date(Date.UTC(2026, 0, 1) + sequence * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const body = buildReceipt({
      corridor_id: this.corridorId,
      sequence,
      timestamp,
      prev_root: options.prevRoot ?? this.head,
      lawpack_digest_set: this.lawpack,
      ruleset_digest_set: this.ruleset,
      transition: makeTransitionEnvelope({ kind: 'trade.invoice.issued.v1', payload: { invoice: `INV-${sequence}`, amount: { value: String(1000 + sequence), currency: 'USD' }, ...payload } }),
    });
    let signed: JsonObject = body;
    for (const k of options.signers ?? this.signers) signed = addProof(signed, k, { created: timestamp });
    return signed;
  }

  append(receipt: JsonObject = this.build()): JsonObject {
    this.receipts.push(receipt);
    this.texts.push(canonicalize(receipt));
    this.mmr.appendNextRoot(receipt.next_root as string);
    return receipt;
  }

  extend(n: number, payload: JsonObject = {}): this {
    for (let i = 0; i < n; i++) this.append(this.build(payload));
    return this;
  }

  /** The checkpoint of the first `size` receipts, signed by `signers` (default: every signer). */
  checkpoint(size = this.size, signers: Ed25519KeyPair[] = this.signers): JsonObject {
    const snap = this.mmr.snapshotAt(size);
    const last = this.receipts[size - 1];
    let ck = buildCheckpoint({
      corridor_id: this.corridorId,
      timestamp: last.timestamp as string,
      genesis_root: this.genesisRoot,
      final_state_root: last.next_root as string,
      receipt_count: size,
      lawpack_digest_set: this.lawpack,
      ruleset_digest_set: this.ruleset,
      mmr: { size: snap.size, root: snap.root, peaks: snap.peaks },
    });
    for (const k of signers) ck = addProof(ck, k, { created: last.timestamp as string });
    return ck;
  }

  /** A signer's key replaced by another from now on (what a node does after a key rotation). */
  rotate(previous: Ed25519KeyPair, next: Ed25519KeyPair): void {
    this.signers.splice(this.signers.indexOf(previous), 1, next);
  }

  /** A copy of this chain's first `size` receipts (to fork it). */
  prefix(size: number): TestChain {
    const c = new TestChain({ corridorId: this.corridorId, signers: [...this.signers], peered: this.peered, seed: this.seed });
    for (let i = 0; i < size; i++) c.append(this.receipts[i]);
    return c;
  }
}

/** A key rotation as a node's lifecycle chain records it, with its credential signed by `signers`. */
export function rotationEvent(corridorId: string, previous: Ed25519KeyPair, next: Ed25519KeyPair, from: number, signers: Ed25519KeyPair[] = [next, previous]): JsonObject {
  let credential: JsonObject = {
    '@context': ['https://www.w3.org/2018/credentials/v1'],
    type: ['VerifiableCredential', 'MSEZCorridorKeyRotationCredential'],
    issuer: previous.did,
    issuanceDate: '2026-01-01T00:00:00Z',
    credentialSubject: { corridor_id: corridorId, previous_key: previous.did, new_key: next.did, effective_from_sequence: from, reason: 'planned' },
  };
  for (const k of signers) credential = addProof(credential, k, { created: '2026-01-01T00:00:00Z' });
  return {
    corridor_id: corridorId,
    at: '2026-01-01T00:00:00Z',
    rotation: { previous_key: previous.did, new_key: next.did, effective_from_sequence: from, roles: ['zone_authority'], reason: 'planned' },
    evidence: [{ artifact_type: 'vc', digest_sha256: '00'.repeat(32), credential_types: credential.type as string[], signers: signers.map((k) => k.did), credential }],
  };
}
