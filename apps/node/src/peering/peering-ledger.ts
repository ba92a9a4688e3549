import { Inject, Injectable } from '@nestjs/common';
import { digestOf, isJsonObject, proofList, verifyProofs, withoutKeys, type JsonObject } from '@corridor/protocol';
import { ChainReader } from '../chains/chain-reader';
import { PEERING_STORE } from '../infrastructure/tokens';
import type { PeeringStore } from './peering.store';

/** Small reads and merges the peering protocol needs over the chains and the peering store. */
@Injectable()
export class PeeringLedger {
  constructor(
    private readonly chains: ChainReader,
    @Inject(PEERING_STORE) private readonly store: PeeringStore,
  ) {}

  /**
   * Whether a proposal whose application was in doubt (the sequencer stopped between append and record) is in
   * the chain: a receipt of the same transition recorded at or after the proposal's time, among the last 1,000.
   */
  async findTransition(stream: string, transition: JsonObject, proposedAt: string): Promise<boolean> {
    const head = await this.chains.head(stream);
    if (!head) return false;
    const from = Math.max(0, head.revision - 999);
    const receipts = await this.chains.storedReceipts(stream, from, head.revision - from + 1);
    const kind = transition.kind;
    const payload = digestOf((transition.payload ?? null) as JsonObject);
    return receipts.some((r) => isJsonObject(r.transition) && r.transition.kind === kind && r.transition.payload_sha256 === payload && String(r.timestamp) >= proposedAt.slice(0, 19));
  }

  latestCheckpointSize(stream: string): number {
    const cp = this.store.latestCheckpoint(stream);
    return cp && typeof cp.receipt_count === 'number' ? cp.receipt_count : 0;
  }

  /** The checkpoint with every valid proof by an allowed signer, one per signer, in verification-method order. */
  mergeCheckpointProofs(checkpoint: JsonObject, proofs: JsonObject[], allowed: ReadonlySet<string>): { checkpoint: JsonObject; signers: number } {
    const body = withoutKeys(checkpoint, 'proof') as JsonObject;
    const bySigner = new Map<string, JsonObject>();
    for (const proof of proofs) {
      const [r] = verifyProofs({ ...body, proof });
      const signer = r?.verificationMethod.split('#')[0] ?? '';
      if (r?.ok && allowed.has(signer) && !bySigner.has(signer)) bySigner.set(signer, proof);
    }
    const ordered = [...bySigner.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
    return { checkpoint: { ...body, proof: ordered.length === 1 ? ordered[0]! : ordered }, signers: ordered.length };
  }

  /** The fork credential a lifecycle receipt was decided on (its first evidence), if any. */
  evidenceOf(receipt: JsonObject): JsonObject | undefined {
    const t = receipt.transition;
    const payload = isJsonObject(t) && isJsonObject(t.payload) ? t.payload : undefined;
    const evidence = payload && Array.isArray(payload.evidence) ? payload.evidence[0] : undefined;
    return isJsonObject(evidence) && isJsonObject(evidence.credential) ? evidence.credential : undefined;
  }

  /** Every proof on a receipt as served: the stored (sequencer's) proof, then the co-signatures. */
  static proofsOf(receipt: JsonObject): JsonObject[] {
    return proofList(receipt) as JsonObject[];
  }
}
