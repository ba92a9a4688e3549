import { utcSeconds } from '@corridor/protocol';
import { Injectable } from '@nestjs/common';
import {
  cellKeyText,
  COMPLIANCE_DOMAINS,
  COMPLIANCE_STATES,
  evaluateCell,
  headFinality,
  ProjectionNotReadyError,
  timestampMillis,
  type Attestation,
  type ComplianceDomain,
  type ComplianceState,
  type CorridorStatusDoc,
  type FinalityLevel,
  type SliceSelector,
  type TensorStamp,
} from '@corridor/compliance';
import { problem, ProblemException } from '../../http/problem';
import { ProjectionRuntime } from '../../projections/projection-runtime';
import type { AttestationStatus } from './regulator.dto';

export interface AttestationView extends Attestation {
  readonly entity: string;
  readonly jurisdiction: string;
  readonly type: ComplianceDomain;
  readonly status: AttestationStatus;
}

export interface HeatCell {
  readonly cells: number;
  readonly states: Record<ComplianceState, number>;
}

const MAX_SCAN_PAGES = 10_000;

function readTime(at: string | undefined): number {
  return at === undefined ? Date.now() : Date.parse(at);
}

export function attestationStatus(a: Attestation, atMs: number): AttestationStatus {
  if (a.revoked) return 'revoked';
  if (a.expires_at !== null && timestampMillis(a.expires_at)! <= atMs) return 'expired';
  return 'valid';
}

function encodeCursor(c: { s: number; k: string }): string {
  return Buffer.from(JSON.stringify(c), 'utf8').toString('base64url');
}

function decodeCursor(text: string | undefined, selectors: number): { s: number; k: string | undefined } {
  if (text === undefined) return { s: 0, k: undefined };
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { s: unknown; k: unknown };
    if (Number.isSafeInteger(c.s) && (c.s as number) >= 0 && (c.s as number) < selectors && typeof c.k === 'string') return { s: c.s as number, k: c.k };
  } catch {
    /* fall through */
  }
  throw problem.badRequest('invalid-cursor', 'Invalid cursor', '`after` must be the `next` of a previous page of this query');
}

/**
 * The regulator's reads over the projections. Read-only: nothing here writes to the ledger or the read models.
 * Answers involving the tensor carry its commitment and the checkpoint they were read at.
 */
@Injectable()
export class RegulatorReads {
  constructor(private readonly projections: ProjectionRuntime) {}

  private get q() {
    return this.projections.queries;
  }

  /** Maps "not ready" to 503 so a client retries instead of reading an empty model. */
  async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ProjectionNotReadyError) throw new ProblemException(503, 'projection-not-ready', 'Projection not ready', e.message);
      if (e instanceof TypeError && !(e instanceof ProblemException)) throw problem.badRequest('invalid-query', 'Invalid query', e.message);
      throw e;
    }
  }

  async corridors(state: string | undefined, page: { after?: string; limit?: number }) {
    return this.guard(async () => {
      const r = await this.q.corridors({ state }, page);
      return { ...r, data: { ...r.data, items: r.data.items.map((c) => this.corridorRow(c)) } };
    });
  }

  corridorRow(c: CorridorStatusDoc): CorridorStatusDoc & { finality: FinalityLevel } {
    return { ...c, finality: headFinality(c) };
  }

  async corridor(id: string) {
    return this.guard(async () => {
      const r = await this.q.corridor(id);
      if (r.data === null) throw problem.notFound('corridor', id);
      return r;
    });
  }

  /** Watcher quorum of a corridor: bonded watchers, quorum size, who attested the head, and the stake at risk. */
  async watcherQuorum(id: string) {
    return this.guard(async () => {
      const c = await this.corridor(id);
      const doc = c.data!;
      const watchers = await this.collect((after) => this.q.watchers({ corridor: id }, { after, limit: 1000 }).then((r) => r.data));
      const stake = await this.q.stake(id);
      const headKey = doc.head ? `${doc.head.sequence + 1}/${doc.head.next_root}` : null;
      return {
        data: {
          corridor_id: id,
          finality: doc.finality,
          bonded: doc.watchers.bonded,
          quorum: doc.watchers.quorum,
          head: doc.head,
          head_attested_by: headKey ? (doc.attestations[headKey] ?? []) : [],
          quorum_head: doc.quorum_head,
          watchers: watchers.map((w) => ({ watcher_id: w.watcher_id, status: w.status, bond_id: w.bond_id, currency: w.currency, remaining: w.remaining, attestation_count: w.attestation_count, reputation: w.reputation, tier: w.tier })),
          stake: stake.data,
        },
        read: c.read,
        tensor: c.tensor,
      };
    });
  }

  async tensorSlice(selector: SliceSelector, at: string | undefined, page: { after?: string; limit?: number }) {
    if (selector.subject === undefined && selector.jurisdiction === undefined && selector.domain === undefined) {
      throw problem.badRequest('invalid-query', 'Invalid query', 'a tensor slice needs at least one of entity, jurisdiction, domain');
    }
    return this.guard(() => this.q.tensor.slice(selector, readTime(at), page));
  }

  async commitment(): Promise<TensorStamp> {
    return this.guard(() => this.q.tensor.commitment());
  }

  /**
   * The heat-map jurisdiction × domain: per pair, how many cells exist and how many are in each state at the read
   * time. Reads every cell of one snapshot (a whole-tensor summary), so the commitment is exactly that snapshot's.
   */
  async heatmap(at: string | undefined) {
    return this.guard(async () => {
      const atMs = readTime(at);
      const all = await this.q.tensor.exportCells();
      const byJurisdiction = new Map<string, Map<ComplianceDomain, HeatCell>>();
      for (const cell of all.data) {
        const row = byJurisdiction.get(cell.jurisdiction) ?? new Map<ComplianceDomain, HeatCell>();
        byJurisdiction.set(cell.jurisdiction, row);
        const h = row.get(cell.domain) ?? { cells: 0, states: Object.fromEntries(COMPLIANCE_STATES.map((s) => [s, 0])) as Record<ComplianceState, number> };
        row.set(cell.domain, h);
        (h as { cells: number }).cells++;
        h.states[evaluateCell(cell, atMs).state]++;
      }
      const jurisdictions = [...byJurisdiction.keys()].sort();
      return {
        data: {
          as_of: utcSeconds(new Date(atMs)),
          domains: [...COMPLIANCE_DOMAINS],
          states: [...COMPLIANCE_STATES],
          rows: jurisdictions.map((j) => ({ jurisdiction: j, domains: Object.fromEntries([...byJurisdiction.get(j)!.entries()]) })),
        },
        tensor: all.tensor,
      };
    });
  }

  /**
   * Attestations held by the tensor's cells, filtered by jurisdiction, entity, type (domain), status and issuer,
   * paged. Pages end at a cell boundary (a cell's attestations are never split across pages), so a page holds at
   * least `limit` attestations unless it is the last, and at most `limit` plus those of one cell. Every page is one
   * tensor snapshot; the commitment it was read at is in `tensor`.
   */
  async attestations(
    filter: { jurisdiction?: string; entity?: string; type?: ComplianceDomain; status?: AttestationStatus; issuer?: string; at?: string },
    page: { after?: string; limit?: number },
  ) {
    return this.guard(async () => {
      const limit = page.limit ?? 100;
      const atMs = readTime(filter.at);
      const given: SliceSelector = { subject: filter.entity, jurisdiction: filter.jurisdiction, domain: filter.type };
      const any = given.subject !== undefined || given.jurisdiction !== undefined || given.domain !== undefined;
      const selectors: SliceSelector[] = any ? [given] : COMPLIANCE_DOMAINS.map((domain) => ({ domain }));
      const start = decodeCursor(page.after, selectors.length);
      for (let attempt = 0; attempt < 10; attempt++) {
        const items: AttestationView[] = [];
        let stamp: TensorStamp | undefined;
        let consistent = true;
        let next: string | null = null;
        let s = start.s;
        let after = start.k;
        outer: while (s < selectors.length) {
          const sel = selectors[s]!;
          const dense = sel.subject !== undefined && sel.jurisdiction !== undefined;
          for (let pages = 0; pages < MAX_SCAN_PAGES; pages++) {
            const slice = await this.q.tensor.slice(sel, atMs, { after: dense ? undefined : after, limit: 500 });
            if (stamp === undefined) stamp = slice.tensor;
            else if (stamp.commitment !== slice.tensor.commitment || stamp.generation !== slice.tensor.generation) {
              consistent = false;
              break outer;
            }
            let skipping = dense && after !== undefined;
            for (const cell of slice.data.cells) {
              const key = cellKeyText(cell);
              if (skipping) {
                if (key === after) skipping = false;
                continue;
              }
              for (const a of cell.attestations) {
                const status = attestationStatus(a, atMs);
                if (filter.status !== undefined && status !== filter.status) continue;
                if (filter.issuer !== undefined && a.issuer_did !== filter.issuer) continue;
                items.push({ ...a, entity: cell.subject, jurisdiction: cell.jurisdiction, type: cell.domain, status });
              }
              if (items.length >= limit) {
                next = encodeCursor({ s, k: key });
                break outer;
              }
            }
            if (dense || slice.data.next === null) break;
            after = slice.data.next;
          }
          s++;
          after = undefined;
        }
        if (!consistent) continue;
        // A page that filled exactly at the very last cell has no next page.
        if (next !== null && (await this.isExhausted(selectors, decodeCursor(next, selectors.length), atMs, filter))) next = null;
        stamp ??= await this.q.tensor.commitment();
        return { data: { as_of: utcSeconds(new Date(atMs)), items, next }, tensor: stamp };
      }
      throw new ProblemException(503, 'busy', 'Busy', 'the tensor kept changing while the page was read; retry');
    });
  }

  /** Whether nothing matching remains after the cursor (so the last page says `next: null`). */
  private async isExhausted(selectors: SliceSelector[], cursor: { s: number; k: string | undefined }, atMs: number, filter: { status?: AttestationStatus; issuer?: string }): Promise<boolean> {
    const r = await this.attestationsProbe(selectors, cursor, atMs, filter);
    return !r;
  }

  private async attestationsProbe(selectors: SliceSelector[], cursor: { s: number; k: string | undefined }, atMs: number, filter: { status?: AttestationStatus; issuer?: string }): Promise<boolean> {
    let after = cursor.k;
    for (let s = cursor.s; s < selectors.length; s++, after = undefined) {
      const sel = selectors[s]!;
      const dense = sel.subject !== undefined && sel.jurisdiction !== undefined;
      for (let pages = 0; pages < MAX_SCAN_PAGES; pages++) {
        const slice = await this.q.tensor.slice(sel, atMs, { after: dense ? undefined : after, limit: 500 });
        let skipping = dense && after !== undefined;
        for (const cell of slice.data.cells) {
          if (skipping) {
            if (cellKeyText(cell) === after) skipping = false;
            continue;
          }
          if (cell.attestations.some((a) => (filter.status === undefined || attestationStatus(a, atMs) === filter.status) && (filter.issuer === undefined || a.issuer_did === filter.issuer))) return true;
        }
        if (dense || slice.data.next === null) break;
        after = slice.data.next;
      }
    }
    return false;
  }

  async disputes(filter: { status?: string; open?: boolean; corridor?: string; party?: string }, page: { after?: string; limit?: number }) {
    return this.guard(() => this.q.disputes(filter, page));
  }

  async dispute(id: string) {
    return this.guard(async () => {
      const r = await this.q.dispute(id);
      if (r.data === null) throw problem.notFound('dispute', id);
      return r;
    });
  }

  async migrations(filter: { open?: boolean; corridor?: string; asset?: string; phase?: string }, page: { after?: string; limit?: number }) {
    return this.guard(() => this.q.migrations(filter, page));
  }

  async migration(id: string) {
    return this.guard(async () => {
      const r = await this.q.migration(id);
      if (r.data === null) throw problem.notFound('migration', id);
      return r;
    });
  }

  /** Every item of a paged read (for summaries). */
  async collect<T>(read: (after: string | undefined) => Promise<{ items: T[]; next: string | null }>): Promise<T[]> {
    const out: T[] = [];
    let after: string | undefined;
    for (let i = 0; i < MAX_SCAN_PAGES; i++) {
      const p = await read(after);
      out.push(...p.items);
      if (p.next === null) return out;
      after = p.next;
    }
    return out;
  }

  /** The dashboard: corridors by state and finality, the tensor, open disputes and sagas, watchers, projections. */
  async dashboard() {
    return this.guard(async () => {
      const corridors = await this.collect((after) => this.q.corridors({}, { after, limit: 1000 }).then((r) => r.data));
      const byState: Record<string, number> = {};
      const byFinality: Record<string, number> = {};
      for (const c of corridors) {
        byState[c.state ?? 'NONE'] = (byState[c.state ?? 'NONE'] ?? 0) + 1;
        const f = headFinality(c);
        byFinality[f] = (byFinality[f] ?? 0) + 1;
      }
      const openDisputes = await this.collect((after) => this.q.disputes({ open: true }, { after, limit: 1000 }).then((r) => r.data));
      const openSagas = await this.collect((after) => this.q.openMigrationsByDeadline(Date.now(), { after, limit: 1000 }).then((r) => r.data));
      const activeWatchers = await this.collect((after) => this.q.watchers({ status: 'ACTIVE' }, { after, limit: 1000 }).then((r) => r.data));
      const tensor = await this.q.tensor.commitment();
      return {
        corridors: { total: corridors.length, by_state: byState, by_finality: byFinality },
        tensor,
        disputes: { open: openDisputes.length },
        migrations: { open: openSagas.length, overdue: openSagas.filter((m) => m.overdue).length },
        watchers: { active: activeWatchers.length },
        projections: this.projections.status(),
      };
    });
  }
}
