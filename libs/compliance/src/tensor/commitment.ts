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

const BUCKETS = 16 ** BUCKET_HEX_DIGITS;

/** Value of a hex digit (0–9, a–f), or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** The bucket of a key digest as a number (0–4095): its first three hex digits; -1 for what is no key digest. */
function bucketNumber(keyDigest: string): number {
  if (typeof keyDigest !== 'string' || keyDigest.length !== 64) return -1;
  const a = hexValue(keyDigest.charCodeAt(0));
  const b = hexValue(keyDigest.charCodeAt(1));
  const c = hexValue(keyDigest.charCodeAt(2));
  return a < 0 || b < 0 || c < 0 ? -1 : (a << 8) | (b << 4) | c;
}

const BUCKET_NAMES: readonly string[] = Array.from({ length: BUCKETS }, (_, i) => i.toString(16).padStart(BUCKET_HEX_DIGITS, '0'));

/**
 * The commitment kept current under changes: `set` a cell's digest when the cell changes, read `commitment()`
 * whenever needed; only the buckets changed since the last read are rehashed. Buckets are held in an array
 * indexed by their number, so a change costs one hash-map update and no string building.
 */
export class TensorCommitmentIndex {
  /** Per bucket number: key digest → cell digest (undefined: empty bucket). */
  private readonly buckets: (Map<string, string> | undefined)[] = new Array(BUCKETS).fill(undefined);
  /** Per bucket number: its bucket digest, when non-empty and refreshed. */
  private readonly bucketDigests: (string | undefined)[] = new Array(BUCKETS).fill(undefined);
  /** Sorted keys of a bucket, kept until its membership changes. */
  private readonly sortedKeys: (string[] | undefined)[] = new Array(BUCKETS).fill(undefined);
  private readonly dirty: number[] = [];
  private readonly isDirty = new Uint8Array(BUCKETS);
  private count = 0;
  private cached: string | undefined;

  /** Records the digest of the cell whose key digest is `keyDigest` (a new cell or a changed one). */
  set(keyDigest: string, digest: string): void {
    const b = bucketNumber(keyDigest);
    if (b < 0) throw new TypeError(`a cell key digest is 64 lowercase hex, got ${JSON.stringify(keyDigest)}`);
    let entries = this.buckets[b];
    if (!entries) this.buckets[b] = entries = new Map();
    const before = entries.get(keyDigest);
    if (before === digest) return;
    if (before === undefined) {
      this.count++;
      this.sortedKeys[b] = undefined;
    }
    entries.set(keyDigest, digest);
    this.touch(b);
  }

  /** Records a whole cell (computes both digests). */
  setCell(cell: TensorCell): void {
    this.set(cellKeyDigest(cell), cellDigest(cell));
  }

  delete(keyDigest: string): void {
    const b = bucketNumber(keyDigest);
    if (b < 0) return;
    const entries = this.buckets[b];
    if (!entries || !entries.delete(keyDigest)) return;
    this.count--;
    this.sortedKeys[b] = undefined;
    if (entries.size === 0) this.buckets[b] = undefined;
    this.touch(b);
  }

  private touch(b: number): void {
    if (this.isDirty[b] === 0) {
      this.isDirty[b] = 1;
      this.dirty.push(b);
    }
    this.cached = undefined;
  }

  get cellCount(): number {
    return this.count;
  }

  digestOfCell(keyDigest: string): string | undefined {
    const b = bucketNumber(keyDigest);
    return b < 0 ? undefined : this.buckets[b]?.get(keyDigest);
  }

  /** `[bucket, bucket_digest]` of every non-empty bucket, sorted. */
  bucketList(): [string, string][] {
    this.refresh();
    const out: [string, string][] = [];
    for (let b = 0; b < BUCKETS; b++) {
      const d = this.bucketDigests[b];
      if (d !== undefined) out.push([BUCKET_NAMES[b]!, d]);
    }
    return out;
  }

  commitment(): string {
    if (this.cached !== undefined) return this.cached;
    this.refresh();
    // Bucket numbers ascend as their hex names do, so the array order is the sorted order.
    let text = HEAD_PREFIX + '[';
    let first = true;
    for (let b = 0; b < BUCKETS; b++) {
      const d = this.bucketDigests[b];
      if (d === undefined) continue;
      if (!first) text += ',';
      first = false;
      text += '["' + BUCKET_NAMES[b]! + '","' + d + '"]';
    }
    text += ']' + HEAD_SUFFIX(this.count);
    this.cached = sha256Hex(text);
    return this.cached;
  }

  private refresh(): void {
    for (const b of this.dirty) {
      this.isDirty[b] = 0;
      const entries = this.buckets[b];
      if (!entries || entries.size === 0) {
        this.bucketDigests[b] = undefined;
        continue;
      }
      let keys = this.sortedKeys[b];
      if (!keys) this.sortedKeys[b] = keys = [...entries.keys()].sort();
      this.bucketDigests[b] = sha256Hex(bucketText(entries, keys));
    }
    this.dirty.length = 0;
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
