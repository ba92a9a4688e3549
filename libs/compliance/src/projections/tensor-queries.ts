import { TensorCommitmentIndex } from '../tensor/commitment';
import { cellKeyText, requireCellKey, type CellKey, type TensorCell } from '../tensor/cell';
import { COMPLIANCE_DOMAINS, type ComplianceDomain } from '../tensor/domains';
import { buildSlice, crossBorderCheck, requireSelector, viewCell, type CellView, type CrossBorderResult, type SliceResult, type SliceSelector } from '../tensor/queries';
import { asOfMillis, type ReadTime } from '../tensor/time';
import type { Doc, GenerationReader, ProjectionStore } from '../store/port';
import { COMPLIANCE_TENSOR } from './compliance-tensor.projection';
import { readSnapshot, type ReadStamp } from './read-side';

/** The commitment of the tensor a result was read from, with where it stands in the log. */
export interface TensorStamp extends ReadStamp {
  /** SHA-256 commitment of the canonical tensor at this checkpoint (spec/compliance-tensor.md §5). */
  readonly commitment: string;
  readonly cell_count: number;
}

export interface Stamped<T> {
  readonly data: T;
  readonly tensor: TensorStamp;
}

export interface SlicePage extends SliceResult {
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

const DEFAULT_PAGE = 500;
const MAX_PAGE = 5000;

async function cellsByKey(reader: GenerationReader, keys: readonly string[]): Promise<Map<string, TensorCell>> {
  const docs = await reader.getMany('cells', keys);
  const out = new Map<string, TensorCell>();
  keys.forEach((k, i) => {
    const d = docs[i];
    if (d !== undefined) out.set(k, d as unknown as TensorCell);
  });
  return out;
}

/**
 * The stored cells of one subject in one jurisdiction, by domain (of `domains`). Their keys
 * `["subject","jurisdiction","domain"]` share the prefix `["subject","jurisdiction",`, so a store that reads key
 * ranges returns them in one read; others get them by key.
 */
async function cellsOfSubject(reader: GenerationReader, subject: string, jurisdiction: string, domains: readonly ComplianceDomain[]): Promise<Map<ComplianceDomain, TensorCell>> {
  const out = new Map<ComplianceDomain, TensorCell>();
  if (reader.entriesWithPrefix && domains.length > 2) {
    const prefix = cellKeyText({ subject, jurisdiction, domain: domains[0]! }).slice(0, -(JSON.stringify(domains[0]).length + 1));
    const wanted = new Set<string>(domains);
    for (const [, d] of await reader.entriesWithPrefix('cells', prefix)) {
      const cell = d as unknown as TensorCell;
      if (cell.subject === subject && cell.jurisdiction === jurisdiction && wanted.has(cell.domain)) out.set(cell.domain, cell);
    }
    return out;
  }
  return (await cellsByDomain(reader, domains.map((domain) => ({ subject, jurisdiction, domain })))).get(jurisdiction) ?? out;
}

/** The stored cells of `keys` (one `getMany`), by jurisdiction, then domain. */
async function cellsByDomain(reader: GenerationReader, keys: readonly CellKey[]): Promise<Map<string, Map<ComplianceDomain, TensorCell>>> {
  const docs = await reader.getMany('cells', keys.map(cellKeyText));
  const out = new Map<string, Map<ComplianceDomain, TensorCell>>();
  keys.forEach((k, i) => {
    const d = docs[i];
    if (d === undefined) return;
    let byDomain = out.get(k.jurisdiction);
    if (!byDomain) out.set(k.jurisdiction, (byDomain = new Map()));
    byDomain.set(k.domain, d as unknown as TensorCell);
  });
  return out;
}

function tensorStamp(stamp: ReadStamp, meta: Readonly<Record<string, string>>): TensorStamp {
  return { ...stamp, commitment: meta.commitment ?? emptyCommitment(), cell_count: Number(meta.cell_count ?? '0') };
}

let EMPTY: string | undefined;
/** The commitment of a tensor without cells (a projection that has folded nothing yet). */
function emptyCommitment(): string {
  EMPTY ??= new TensorCommitmentIndex().commitment();
  return EMPTY;
}

/**
 * Regulator-facing queries over the compliance-tensor projection. Every answer is a consistent snapshot of the
 * active generation and carries the tensor commitment and checkpoint it was read at; states are evaluated at
 * the read time `at` (expiry is applied then), reported as `as_of`.
 */
export class TensorQueries {
  constructor(
    private readonly store: ProjectionStore,
    private readonly projection: string = COMPLIANCE_TENSOR,
  ) {}

  /** One cell (missing: `pending`, reason `missing`). */
  async cell(key: CellKey, at: ReadTime): Promise<Stamped<CellView>> {
    const k = requireCellKey(key);
    const atMs = asOfMillis(at);
    const s = await readSnapshot(this.store, this.projection, async (r) => (await r.get('cells', cellKeyText(k))) as unknown as TensorCell | undefined);
    return { data: viewCell(k, s.value, atMs), tensor: tensorStamp(s.stamp, s.checkpoint.meta) };
  }

  /**
   * A slice. With subject and jurisdiction, all 20 domains (dense); otherwise the existing cells matching the
   * selector, in pages of `limit` (default 500) after the cell key `after`.
   */
  async slice(selector: SliceSelector, at: ReadTime, page: { after?: string; limit?: number } = {}): Promise<Stamped<SlicePage>> {
    requireSelector(selector);
    const atMs = asOfMillis(at);
    const limit = Math.min(page.limit ?? DEFAULT_PAGE, MAX_PAGE);
    if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError(`limit must be a positive integer, got ${page.limit}`);
    const s = await readSnapshot(this.store, this.projection, async (r) => {
      if (selector.subject !== undefined && selector.jurisdiction !== undefined) {
        const domains = selector.domain !== undefined ? [selector.domain] : COMPLIANCE_DOMAINS;
        return { cells: [...(await cellsOfSubject(r, selector.subject, selector.jurisdiction, domains)).values()], next: null };
      }
      // Drive the scan with the most selective given coordinate; filter the others.
      const [field, value] =
        selector.subject !== undefined
          ? (['subject', selector.subject] as const)
          : selector.jurisdiction !== undefined
            ? (['jurisdiction', selector.jurisdiction] as const)
            : (['domain', selector.domain!] as const);
      const cells: TensorCell[] = [];
      let after = page.after;
      let next: string | null = null;
      // Keep reading index pages until `limit` matching cells are found or the index ends.
      for (;;) {
        const keys = await r.keysBy('cells', field, value, { after, limit: limit + 1 });
        const more = keys.length > limit;
        const chunk = more ? keys.slice(0, limit) : keys;
        const found = await cellsByKey(r, chunk);
        for (const k of chunk) {
          const c = found.get(k);
          if (c && (selector.jurisdiction === undefined || c.jurisdiction === selector.jurisdiction) && (selector.domain === undefined || c.domain === selector.domain)) {
            cells.push(c);
            if (cells.length === limit) {
              next = more || k !== chunk[chunk.length - 1] ? k : null;
              break;
            }
          }
        }
        if (cells.length === limit || !more) break;
        after = chunk[chunk.length - 1];
      }
      return { cells, next };
    });
    const slice = buildSlice(selector, s.value.cells, atMs);
    return { data: { ...slice, next: s.value.next }, tensor: tensorStamp(s.stamp, s.checkpoint.meta) };
  }

  /** The cross-border check of `subject` from one jurisdiction to another (all 20 domains unless given). */
  async crossBorder(subject: string, fromJurisdiction: string, toJurisdiction: string, at: ReadTime, domains?: readonly ComplianceDomain[]): Promise<Stamped<CrossBorderResult>> {
    const atMs = asOfMillis(at);
    const ds = domains ?? COMPLIANCE_DOMAINS;
    for (const domain of ds) {
      requireCellKey({ subject, jurisdiction: fromJurisdiction, domain });
      requireCellKey({ subject, jurisdiction: toJurisdiction, domain });
    }
    const unique = [...new Set(ds)];
    const s = await readSnapshot(this.store, this.projection, async (r) => {
      if (!r.entriesWithPrefix || unique.length <= 2) {
        // No range reads (Redis): one lookup of both jurisdictions' keys, one round trip.
        const both = await cellsByDomain(r, [...unique.map((domain) => ({ subject, jurisdiction: fromJurisdiction, domain })), ...unique.map((domain) => ({ subject, jurisdiction: toJurisdiction, domain }))]);
        return { from: both.get(fromJurisdiction) ?? new Map<ComplianceDomain, TensorCell>(), to: both.get(toJurisdiction) ?? new Map<ComplianceDomain, TensorCell>() };
      }
      const [from, to] = await Promise.all([cellsOfSubject(r, subject, fromJurisdiction, unique), cellsOfSubject(r, subject, toJurisdiction, unique)]);
      return { from, to };
    });
    const { from, to } = s.value;
    const result = crossBorderCheck(
      (k) => (k.subject !== subject ? undefined : k.jurisdiction === fromJurisdiction ? from.get(k.domain) : k.jurisdiction === toJurisdiction ? to.get(k.domain) : undefined),
      subject,
      fromJurisdiction,
      toJurisdiction,
      atMs,
      ds,
    );
    return { data: result, tensor: tensorStamp(s.stamp, s.checkpoint.meta) };
  }

  /** The current commitment and checkpoint. */
  async commitment(): Promise<TensorStamp> {
    const s = await readSnapshot(this.store, this.projection, async () => undefined);
    return tensorStamp(s.stamp, s.checkpoint.meta);
  }

  /**
   * Every cell, canonical, for an export an auditor recomputes the commitment from (spec/compliance-tensor.md
   * §5). Reads the whole generation: meant for exports and replays, not for request paths.
   */
  async exportCells(): Promise<Stamped<TensorCell[]>> {
    const s = await readSnapshot(this.store, this.projection, async (r) => (await r.entries('cells')).map(([, d]) => d as unknown as TensorCell));
    return { data: s.value, tensor: tensorStamp(s.stamp, s.checkpoint.meta) };
  }

  /** Transitions of a mapped family that could not be mapped (oldest stream first), with the reason. */
  async rejections(page: { after?: string; limit?: number } = {}): Promise<Stamped<{ items: Doc[]; next: string | null }>> {
    const limit = Math.min(page.limit ?? DEFAULT_PAGE, MAX_PAGE);
    const s = await readSnapshot(this.store, this.projection, async (r) => {
      const keys = await r.keysBy('rejections', 'all', '*', { after: page.after, limit: limit + 1 });
      const more = keys.length > limit;
      const chunk = more ? keys.slice(0, limit) : keys;
      const docs = await r.getMany('rejections', chunk);
      return { items: docs.filter((d): d is Doc => d !== undefined), next: more ? chunk[chunk.length - 1]! : null };
    });
    return { data: s.value, tensor: tensorStamp(s.stamp, s.checkpoint.meta) };
  }
}
