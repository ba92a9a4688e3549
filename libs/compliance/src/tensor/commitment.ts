import { digestOf, sha256Hex } from '@corridor/protocol';
import { cellDigest, cellKeyDigest, type TensorCell } from './cell';
import { COMPLIANCE_DOMAINS } from './domains';
import { COMPLIANCE_STATES } from './states';

/**
 * The tensor commitment (spec/compliance-tensor.md §5):
 *
 *   cell_key_digest = SHA-256(canonical([subject, jurisdiction, domain]))
 *   cell_digest     = SHA-256(canonical(cell))                      cell = {subject, jurisdiction, domain, attestations}
 *   bucket          = the first 3 hex digits of cell_key_digest     (4096 buckets)
 *   bucket_digest   = SHA-256(canonical([[cell_key_digest, cell_digest], ...]))   sorted by cell_key_digest
 *   commitment      = SHA-256(canonical({type, version, domains, states, cell_count, buckets: [[bucket, bucket_digest], ...]}))
 *                     non-empty buckets only, sorted by bucket
 *
 * The two levels let a node keep the commitment current by rehashing only the buckets a change touched, while
 * an auditor recomputes it from the cells alone in a few lines.
 */
/** `type` of the exported canonical tensor document. */
export const CANONICAL_TENSOR_TYPE = 'CorridorComplianceTensor';
/** `type` of the document whose digest is the commitment. */
export const TENSOR_COMMITMENT_TYPE = 'CorridorComplianceTensorCommitment';
export const TENSOR_COMMITMENT_VERSION = 1;
export const BUCKET_HEX_DIGITS = 3;

export function bucketOf(keyDigest: string): string {
  return keyDigest.slice(0, BUCKET_HEX_DIGITS);
}

/** Canonical text of a bucket's entry list; equal to `canonicalize(entries)` (hex strings need no escaping). */
function bucketText(entries: ReadonlyMap<string, string>, keys: readonly string[]): string {
  let out = '[';
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ',';
    out += '["' + keys[i] + '","' + entries.get(keys[i]!)! + '"]';
  }
  return out + ']';
}

// The commitment document's canonical text around the bucket list (keys in code-point order).
const HEAD_PREFIX = '{"buckets":';
const HEAD_SUFFIX = (count: number) =>
  ',"cell_count":' +
  String(count) +
  ',"domains":' +
  JSON.stringify(COMPLIANCE_DOMAINS) +
  ',"states":' +
  JSON.stringify(COMPLIANCE_STATES) +
  ',"type":"' +
  TENSOR_COMMITMENT_TYPE +
  '","version":' +
  String(TENSOR_COMMITMENT_VERSION) +
  '}';

/** The document whose SHA-256 is the commitment, from bucket digests (for display and for tests). */
export function commitmentDocument(cellCount: number, buckets: ReadonlyArray<readonly [string, string]>): object {
  return {
    type: TENSOR_COMMITMENT_TYPE,
    version: TENSOR_COMMITMENT_VERSION,
    domains: [...COMPLIANCE_DOMAINS],
    states: [...COMPLIANCE_STATES],
    cell_count: cellCount,
    buckets: buckets.map(([b, d]) => [b, d]),
  };
}

/**
 * The commitment kept current under changes: `set` a cell's digest when the cell changes, read `commitment()`
 * whenever needed; only the buckets changed since the last read are rehashed.
 */
export class TensorCommitmentIndex {
  private readonly buckets = new Map<string, Map<string, string>>();
  private readonly bucketDigests = new Map<string, string>();
  private readonly dirty = new Set<string>();
  /** Sorted keys of a bucket, kept until its membership changes. */
  private readonly sortedKeys = new Map<string, string[]>();
  private count = 0;
  private cached: string | undefined;

  /** Records the digest of the cell whose key digest is `keyDigest` (a new cell or a changed one). */
  set(keyDigest: string, digest: string): void {
    const b = bucketOf(keyDigest);
    let entries = this.buckets.get(b);
    if (!entries) {
      entries = new Map();
      this.buckets.set(b, entries);
    }
    if (entries.get(keyDigest) === digest) return;
    if (!entries.has(keyDigest)) {
      this.count++;
      this.sortedKeys.delete(b);
    }
    entries.set(keyDigest, digest);
    this.dirty.add(b);
    this.cached = undefined;
  }

  /** Records a whole cell (computes both digests). */
  setCell(cell: TensorCell): void {
    this.set(cellKeyDigest(cell), cellDigest(cell));
  }

  delete(keyDigest: string): void {
    const b = bucketOf(keyDigest);
    const entries = this.buckets.get(b);
    if (!entries || !entries.delete(keyDigest)) return;
    this.count--;
    this.sortedKeys.delete(b);
    if (entries.size === 0) this.buckets.delete(b);
    this.dirty.add(b);
    this.cached = undefined;
  }

  get cellCount(): number {
    return this.count;
  }

  digestOfCell(keyDigest: string): string | undefined {
    return this.buckets.get(bucketOf(keyDigest))?.get(keyDigest);
  }

  /** `[bucket, bucket_digest]` of every non-empty bucket, sorted. */
  bucketList(): [string, string][] {
    this.refresh();
    return [...this.bucketDigests.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  commitment(): string {
    if (this.cached !== undefined) return this.cached;
    const list = this.bucketList();
    let text = HEAD_PREFIX + '[';
    for (let i = 0; i < list.length; i++) {
      if (i > 0) text += ',';
      text += '["' + list[i]![0] + '","' + list[i]![1] + '"]';
    }
    text += ']' + HEAD_SUFFIX(this.count);
    this.cached = sha256Hex(text);
    return this.cached;
  }

  private refresh(): void {
    for (const b of this.dirty) {
      const entries = this.buckets.get(b);
      if (!entries || entries.size === 0) {
        this.bucketDigests.delete(b);
        continue;
      }
      let keys = this.sortedKeys.get(b);
      if (!keys) this.sortedKeys.set(b, (keys = [...entries.keys()].sort()));
      this.bucketDigests.set(b, sha256Hex(bucketText(entries, keys)));
    }
    this.dirty.clear();
  }
}

/** The commitment of a set of cells, straight from the definition (cells in any order; keys must be unique). */
export function computeTensorCommitment(cells: Iterable<TensorCell>): string {
  const index = new TensorCommitmentIndex();
  const seen = new Set<string>();
  for (const cell of cells) {
    const k = cellKeyDigest(cell);
    if (seen.has(k)) throw new Error(`cell ${JSON.stringify([cell.subject, cell.jurisdiction, cell.domain])} is listed twice`);
    seen.add(k);
    index.set(k, cellDigest(cell));
  }
  return index.commitment();
}

/** The commitment document's digest, computed the slow, obvious way (canonicalize + SHA-256); used to cross-check. */
export function commitmentFromBuckets(cellCount: number, buckets: ReadonlyArray<readonly [string, string]>): string {
  return digestOf(commitmentDocument(cellCount, buckets));
}
