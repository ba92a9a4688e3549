import {
  canonicalCell,
  cellKeyDigest,
  cellKeyText,
  cellDigest,
  requireAttestation,
  requireCellKey,
  withAttestation,
  withRevocation,
  type Attestation,
  type CellKey,
  type TensorCell,
} from './cell';
import { CANONICAL_TENSOR_TYPE, TENSOR_COMMITMENT_VERSION, TensorCommitmentIndex } from './commitment';
import { COMPLIANCE_DOMAINS, type ComplianceDomain } from './domains';
import { buildSlice, compareCellKeys, crossBorderCheck, viewCell, type CellView, type CrossBorderResult, type SliceResult, type SliceSelector } from './queries';
import { COMPLIANCE_STATES } from './states';
import { asOfMillis, type ReadTime } from './time';
import { isDigest } from '@corridor/protocol';

/** The canonical tensor: the document an auditor exports and recomputes the commitment from. */
export interface CanonicalTensor {
  readonly type: typeof CANONICAL_TENSOR_TYPE;
  readonly version: typeof TENSOR_COMMITMENT_VERSION;
  readonly domains: readonly ComplianceDomain[];
  readonly states: readonly string[];
  /** Every cell, canonical (attestations sorted by digest), sorted by cell key digest. */
  readonly cells: readonly TensorCell[];
}

/** What a change did: the cells it changed (by key text). */
export interface TensorChange {
  readonly changed: readonly CellKey[];
}

/**
 * The compliance tensor in memory, pure (no I/O): cells keyed by (subject, jurisdiction, domain) holding
 * attestations, states evaluated at read time, slices, the cross-border check, and the commitment kept current.
 *
 * Order independence: recording the same attestations and revocations in any order yields the same cells and
 * the same commitment. A revocation that arrives before its attestation is remembered and applied when the
 * attestation arrives.
 */
export class ComplianceTensor {
  private readonly cells = new Map<string, TensorCell>();
  /** attestation digest → keys of the cells holding it */
  private readonly byDigest = new Map<string, Set<string>>();
  /** digests revoked, whether or not an attestation with that digest has been recorded yet */
  private readonly revoked = new Set<string>();
  private readonly index = new TensorCommitmentIndex();

  /** Records an attestation in the cell at `key`. */
  attest(key: CellKey, attestation: Partial<Record<keyof Attestation, unknown>>): TensorChange {
    const k = requireCellKey(key);
    const a0 = requireAttestation(attestation);
    const a = this.revoked.has(a0.digest) && !a0.revoked ? { ...a0, revoked: true } : a0;
    const text = cellKeyText(k);
    const { cell, changed } = withAttestation(this.cells.get(text), k, a);
    if (!changed) return { changed: [] };
    this.put(text, cell);
    let keys = this.byDigest.get(a.digest);
    if (!keys) this.byDigest.set(a.digest, (keys = new Set()));
    keys.add(text);
    if (a.revoked) this.revoked.add(a.digest);
    return { changed: [k] };
  }

  /** Revokes the attestation `digest` in every cell holding it, now or later. */
  revoke(digest: string): TensorChange {
    if (!isDigest(digest)) throw new TypeError(`a revocation names a 64-hex attestation digest, got ${JSON.stringify(digest)}`);
    this.revoked.add(digest);
    const changed: CellKey[] = [];
    for (const text of this.byDigest.get(digest) ?? []) {
      const r = withRevocation(this.cells.get(text)!, digest);
      if (r.changed) {
        this.put(text, r.cell);
        changed.push(r.cell);
      }
    }
    return { changed };
  }

  private put(text: string, cell: TensorCell): void {
    this.cells.set(text, cell);
    this.index.set(cellKeyDigest(cell), cellDigest(cell));
  }

  get cellCount(): number {
    return this.cells.size;
  }

  /** The stored cell, or undefined (a missing cell reads `pending`). */
  cell(key: CellKey): TensorCell | undefined {
    return this.cells.get(cellKeyText(key));
  }

  /** The cell's state and attestations at `at`. */
  evaluate(key: CellKey, at: ReadTime): CellView {
    const k = requireCellKey(key);
    return viewCell(k, this.cell(k), asOfMillis(at));
  }

  slice(selector: SliceSelector, at: ReadTime): SliceResult {
    return buildSlice(selector, this.cells.values(), asOfMillis(at));
  }

  crossBorder(subject: string, fromJurisdiction: string, toJurisdiction: string, at: ReadTime, domains?: readonly ComplianceDomain[]): CrossBorderResult {
    return crossBorderCheck((k) => this.cell(k), subject, fromJurisdiction, toJurisdiction, asOfMillis(at), domains);
  }

  /** SHA-256 commitment of the canonical tensor (spec/compliance-tensor.md §5). */
  commitment(): string {
    return this.index.commitment();
  }

  canonical(): CanonicalTensor {
    const cells = [...this.cells.values()].map((c) => ({ keyDigest: cellKeyDigest(c), cell: canonicalCell(c) }));
    cells.sort((a, b) => (a.keyDigest < b.keyDigest ? -1 : 1));
    return {
      type: CANONICAL_TENSOR_TYPE,
      version: TENSOR_COMMITMENT_VERSION,
      domains: [...COMPLIANCE_DOMAINS],
      states: [...COMPLIANCE_STATES],
      cells: cells.map((c) => c.cell),
    };
  }

  /** Every cell in (subject, jurisdiction, domain) order. */
  allCells(): TensorCell[] {
    return [...this.cells.values()].sort(compareCellKeys);
  }
}
