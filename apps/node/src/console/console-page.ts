import { COMPLIANCE_STATES, type ComplianceState, type CorridorStatusDoc, type DisputeDoc, type FinalityLevel, type MigrationDoc, type TensorStamp } from '@corridor/compliance';

/** Everything the console page shows, read from the projections in one request. */
export interface ConsoleModel {
  jurisdiction: string;
  principal: string;
  asOf: string;
  tensor: TensorStamp;
  corridors: (CorridorStatusDoc & { finality: FinalityLevel })[];
  heatmap: { domains: string[]; rows: { jurisdiction: string; domains: Record<string, { cells: number; states: Record<ComplianceState, number> }> }[] };
  disputes: DisputeDoc[];
  sagas: (MigrationDoc & { overdue: boolean })[];
  projections: { projection: string; generation: number; state: string; events: number; position: string | null }[];
}

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const e = escapeHtml;

function short(hex: string | null | undefined): string {
  return hex ? `${hex.slice(0, 12)}…` : '—';
}

const FINALITY_CLASS: Record<FinalityLevel, string> = { proposed: 'f0', receipt_signed: 'f1', checkpoint_signed: 'f2', watcher_quorum: 'f3' };

/** Heat-map colour of a jurisdiction × domain: red if any cell fails, amber if any is pending, green when all pass. */
function heat(h: { cells: number; states: Record<ComplianceState, number> } | undefined): { cls: string; text: string; title: string } {
  if (!h || h.cells === 0) return { cls: 'h-none', text: '', title: 'no cells' };
  const title = COMPLIANCE_STATES.filter((s) => h.states[s] > 0).map((s) => `${s}: ${h.states[s]}`).join(', ');
  const cls = h.states.non_compliant > 0 ? 'h-bad' : h.states.pending > 0 ? 'h-pending' : 'h-good';
  return { cls, text: String(h.cells), title };
}

function table(headers: string[], rows: string[], empty: string, id: string): string {
  if (rows.length === 0) return `<p class="empty" data-testid="${id}-empty">${e(empty)}</p>`;
  return `<table data-testid="${id}"><thead><tr>${headers.map((h) => `<th>${e(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.85}
main{padding:16px 24px;max-width:1500px}section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:16px;margin:0 0 10px}table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #e6e9ee;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f5;font-weight:600}code{font:12px ui-monospace,Menlo,Consolas,monospace}.empty{color:#667}
.cards{display:flex;gap:12px;flex-wrap:wrap}.card{border:1px solid #dde1e7;border-radius:6px;padding:8px 14px;min-width:140px}.card b{display:block;font-size:22px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px}.f0{background:#eceff3}.f1{background:#dbe9fb}.f2{background:#c9e6d2}.f3{background:#7dc795}
table.heat td,table.heat th{text-align:center;padding:4px 3px;font-size:12px}table.heat th.rot{writing-mode:vertical-rl;transform:rotate(180deg);height:120px;font-weight:500}
.h-none{background:#fafbfc}.h-good{background:#8fd19e}.h-pending{background:#ffe08a}.h-bad{background:#f08c8c}.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border-radius:3px}
.overdue{color:#b00020;font-weight:600}`;

/** The regulator console: plain server-rendered HTML, no scripts and no external assets. */
export function renderConsole(m: ConsoleModel): string {
  const byState = new Map<string, number>();
  for (const c of m.corridors) byState.set(c.state ?? 'NONE', (byState.get(c.state ?? 'NONE') ?? 0) + 1);
  const corridorRows = m.corridors.map(
    (c) =>
      `<tr data-corridor="${e(c.corridor_id)}"><td><code>${e(c.corridor_id)}</code></td><td>${e(c.state ?? 'NONE')}</td><td>${e(c.since ?? '—')}</td>` +
      `<td>${c.head ? e(c.head.sequence) : '—'}</td><td><code title="${e(c.head?.next_root ?? '')}">${e(short(c.head?.next_root))}</code></td>` +
      `<td><code title="${e(c.mmr?.root ?? '')}">${e(short(c.mmr?.root))}</code></td><td>${e(c.receipt_count)}</td>` +
      `<td><span class="badge ${FINALITY_CLASS[c.finality]}">${e(c.finality)}</span></td></tr>`,
  );
  const heatRows = m.heatmap.rows.map(
    (r) =>
      `<tr><th>${e(r.jurisdiction)}</th>${m.heatmap.domains
        .map((d) => {
          const h = heat(r.domains[d]);
          return `<td class="${h.cls}" title="${e(`${r.jurisdiction} × ${d}: ${h.title}`)}">${e(h.text)}</td>`;
        })
        .join('')}</tr>`,
  );
  const heatTable =
    heatRows.length === 0
      ? '<p class="empty" data-testid="heatmap-empty">The tensor has no cells yet.</p>'
      : `<table class="heat" data-testid="heatmap"><thead><tr><th>jurisdiction</th>${m.heatmap.domains.map((d) => `<th class="rot">${e(d)}</th>`).join('')}</tr></thead><tbody>${heatRows.join('')}</tbody></table>`;
  const disputeRows = m.disputes.map(
    (d) =>
      `<tr><td><code>${e(d.dispute_id)}</code></td><td><code>${e(d.corridor_id ?? '—')}</code></td><td>${e(d.status)}</td><td>${e(d.claimant ?? '—')}</td><td>${e(d.respondent ?? '—')}</td><td>${e(d.filed_at ?? '—')}</td><td>${e(d.evidence_deadline ?? d.hearing_at ?? '—')}</td></tr>`,
  );
  const sagaRows = m.sagas.map(
    (s) =>
      `<tr><td><code>${e(s.migration_id)}</code></td><td><code>${e(s.corridor_id ?? '—')}</code></td><td>${e(s.asset_id ?? '—')}</td><td>${e(s.source_jurisdiction ?? '—')} → ${e(s.destination_jurisdiction ?? '—')}</td><td>${e(s.phase)}</td><td class="${s.overdue ? 'overdue' : ''}">${e(s.deadline ?? '—')}${s.overdue ? ' (overdue)' : ''}</td></tr>`,
  );
  const projRows = m.projections.map((p) => `<tr><td>${e(p.projection)}</td><td>${e(p.generation)}</td><td>${e(p.state)}</td><td>${e(p.events)}</td><td><code>${e(p.position ?? '—')}</code></td></tr>`);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Regulator console — ${e(m.jurisdiction)}</title><style>${STYLE}</style></head>
<body>
<header><h1>Regulator console — jurisdiction ${e(m.jurisdiction)}</h1>
<p>Read-only. Signed in as <b data-testid="principal">${e(m.principal)}</b>; this visit is on the access audit trail. As of ${e(m.asOf)}.</p></header>
<main>
<section><h2>Summary</h2><div class="cards">
<div class="card">corridors<b data-testid="corridor-count">${m.corridors.length}</b>${[...byState.entries()].map(([s, n]) => `${e(s)}: ${n}`).join(' · ')}</div>
<div class="card">open disputes<b>${m.disputes.length}</b></div>
<div class="card">open sagas<b>${m.sagas.length}</b>${m.sagas.filter((s) => s.overdue).length} overdue</div>
<div class="card">tensor cells<b>${m.tensor.cell_count}</b></div>
</div>
<p>Tensor commitment <code data-testid="tensor-commitment">${e(m.tensor.commitment)}</code> at log position <code>${e(m.tensor.position ?? '—')}</code> (${e(m.tensor.events)} events, generation ${e(m.tensor.generation)}).</p></section>
<section><h2>Corridors and finality</h2>
${table(['corridor', 'state', 'since', 'head', 'head root', 'MMR root', 'receipts', 'finality'], corridorRows, 'No corridors yet.', 'corridors')}
<p class="legend">Finality: <span class="f0">proposed</span><span class="f1">receipt_signed</span><span class="f2">checkpoint_signed</span><span class="f3">watcher_quorum</span></p></section>
<section><h2>Compliance tensor: jurisdiction × domain</h2>
${heatTable}
<p class="legend">Cells per pair, coloured by their states now: <span class="h-good">all passing</span><span class="h-pending">some pending</span><span class="h-bad">some non-compliant</span><span class="h-none">no cells</span></p></section>
<section><h2>Open disputes</h2>
${table(['dispute', 'corridor', 'status', 'claimant', 'respondent', 'filed', 'next deadline'], disputeRows, 'No open disputes.', 'disputes')}</section>
<section><h2>Open migration sagas</h2>
${table(['saga', 'corridor', 'asset', 'route', 'phase', 'deadline'], sagaRows, 'No open sagas.', 'sagas')}</section>
<section><h2>Projections</h2>
${table(['projection', 'generation', 'state', 'events', 'position'], projRows, 'No projections running.', 'projections')}</section>
</main></body></html>`;
}
