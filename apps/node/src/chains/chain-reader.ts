import { Inject, Injectable } from '@nestjs/common';
import { ChainRangeError, ReceiptChainWriter } from '@corridor/ledger';
import { addProof, buildCheckpoint, canonicalize, proofList, withoutKeys, type Ed25519KeyPair, type JsonObject } from '@corridor/protocol';
import { withProofs } from '@corridor/peering';
import { CHAIN_WRITER, NODE_KEY, PEERING_STORE } from '../infrastructure/tokens';
import type { PeeringStore } from '../peering/peering.store';

export const MAX_PAGE = 1000;

/**
 * Read side of any receipt chain: pages of receipts, one receipt with its inclusion proof, signed checkpoints
 * at any height, and consistency proofs between two heights.
 */
@Injectable()
export class ChainReader {
  constructor(
    @Inject(CHAIN_WRITER) private readonly writer: ReceiptChainWriter,
    @Inject(NODE_KEY) private readonly key: Ed25519KeyPair,
    @Inject(PEERING_STORE) private readonly peering: PeeringStore,
  ) {}

  /** Receipts after sequence `after` (exclusive; -1 for all), at most `limit`. */
  async receipts(stream: string, after: number, limit: number): Promise<{ stream: string; receipts: JsonObject[]; head: number | null }> {
    const head = await this.writer.head(stream);
    const receipts = await this.writer.receipts(stream, after + 1, Math.min(limit, MAX_PAGE));
    return { stream, receipts: this.withCosignatures(stream, receipts), head: head ? head.revision : null };
  }

  /** One receipt as served: with the co-signatures of a shared chain merged into its proofs. */
  async receipt(stream: string, sequence: number): Promise<JsonObject> {
    return this.withCosignatures(stream, [await this.writer.receipt(stream, sequence)])[0]!;
  }

  /** One receipt exactly as stored (a shared chain's: the sequencer's proof only, byte-identical on every node). */
  storedReceipt(stream: string, sequence: number): Promise<JsonObject> {
    return this.writer.receipt(stream, sequence);
  }

  storedReceipts(stream: string, from: number, count: number): Promise<JsonObject[]> {
    return this.writer.receipts(stream, from, count);
  }

  /**
   * Receipts of a shared chain carry the sequencer's proof as stored, then every co-signature held, ordered by
   * verification method — the same bytes on every node of the corridor (spec/peering.md §3).
   */
  private withCosignatures(stream: string, receipts: JsonObject[]): JsonObject[] {
    if (receipts.length === 0 || !this.peering.hasCosignatures(stream)) return receipts;
    const first = receipts[0]!.sequence as number;
    const cosigs = this.peering.cosignatures(stream, first, first + receipts.length - 1);
    return receipts.map((r) => {
      // Only co-signatures of this very receipt: a proof over another next_root would not verify here.
      const extra = cosigs.get(r.sequence as number)?.filter((c) => c.nextRoot === r.next_root).map((c) => c.proof);
      return extra?.length ? withProofs(r, [...(proofList(r) as JsonObject[]), ...extra]) : r;
    });
  }

  async head(stream: string) {
    return this.writer.head(stream);
  }

  async inclusionProof(stream: string, sequence: number, size?: number) {
    return this.writer.inclusionProof(stream, sequence, size);
  }

  async consistencyProof(stream: string, from: number, to?: number) {
    return this.writer.consistencyProof(stream, from, to);
  }

  /**
   * The checkpoint of the chain's first `size` receipts (default: all), signed by this node. Its timestamp is the
   * last included receipt's, so asking twice gives the same bytes (Ed25519 signatures are deterministic).
   */
  async checkpoint(stream: string, size?: number): Promise<JsonObject> {
    const own = await this.ownCheckpoint(stream, size);
    // A shared chain's checkpoint co-signed by the other zones, when this node holds that (same bytes, more proofs).
    const cosigned = this.peering.checkpointAt(stream, own.receipt_count as number);
    // Only if it is this very checkpoint (same roots): a stored one never stands in for a chain that differs.
    const same = cosigned && canonicalize(withoutKeys(cosigned, 'proof') as JsonObject) === canonicalize(withoutKeys(own, 'proof') as JsonObject);
    return same && proofList(cosigned).length > 1 ? cosigned : own;
  }

  /** The checkpoint of the first `size` receipts signed by this node alone. */
  async ownCheckpoint(stream: string, size?: number): Promise<JsonObject> {
    const head = await this.writer.head(stream);
    if (!head) throw new ChainRangeError(stream, `${stream} has no receipts`);
    const n = size ?? head.mmr.size;
    if (!Number.isSafeInteger(n) || n < 1 || n > head.mmr.size) throw new ChainRangeError(stream, `${stream} has no checkpoint at height ${n} (its height is ${head.mmr.size})`);
    const first = await this.writer.receipt(stream, 0);
    const last = n === 1 ? first : await this.writer.receipt(stream, n - 1);
    const mmr = await this.writer.mmrAt(stream, n);
    const subjectField = Object.keys(first).find((k) => k.endsWith('_id') && k !== 'corridor_id') ?? 'corridor_id';
    const checkpoint = buildCheckpoint({
      corridor_id: (first.corridor_id ?? first[subjectField]) as string,
      timestamp: last.timestamp as string,
      genesis_root: first.prev_root as string,
      final_state_root: last.next_root as string,
      receipt_count: n,
      lawpack_digest_set: first.lawpack_digest_set as string[],
      ruleset_digest_set: first.ruleset_digest_set as string[],
      mmr: { size: mmr.size, root: mmr.root, peaks: mmr.peaks },
    });
    return addProof(checkpoint, this.key, { created: last.timestamp as string });
  }
}
