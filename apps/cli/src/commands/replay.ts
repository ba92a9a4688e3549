import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { COMPLIANCE_TENSOR, createProjections, defaultProjections, ProjectionQueries, SqliteProjectionStore, type TensorStamp } from '@corridor/compliance';
import { SqliteEventStore, type EventStore, type GlobalPosition } from '@corridor/ledger';
import { isJsonObject, type JsonObject } from '@corridor/protocol';
import { nowUtc, printJson, type CliIo } from '../cli-io';
import { CliProblem } from '../cli-problem';
import { verifyAggregateChain, type AggregateChainKind, type AggregateChainReport } from '../audit/aggregate-chain';
import { lifecycleStream, stateChannelStream, type Bundle } from '../audit/bundle';
import { NodeClient, readToken, seg } from '../audit/node-client';
import { memoryLedger, type FetchedChain } from '../audit/replay-log';
import { bundleFromNode, corridorStatus, lifecycleFromNode, nodeIdentity, readBundleFile, readRulesetFiles } from '../audit/sources';
import { verifyBundle, type BundleVerification } from '../audit/verify-bundle';
import type { Command } from './command';
import { clientOptions } from './export';

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
}

function position(p: GlobalPosition | undefined): string | null {
  return p === undefined ? null : `${p.commit}/${p.prepare}`;
}

/** The live node's tensor commitment from its projection store, if it has one. */
async function liveCommitment(file: string): Promise<TensorStamp | null> {
  if (!existsSync(file)) return null;
  const store = SqliteProjectionStore.open({ path: file, readonly: true });
  try {
    return await new ProjectionQueries(store).tensor.commitment();
  } catch {
    return null;
  } finally {
    await store.close();
  }
}

interface Rebuilt {
  projections: JsonObject[];
  tensor: TensorStamp;
}

/**
 * Folds a whole ledger into every projection from scratch, in a scratch in-memory store: each projection's events,
 * position, metadata and row counts, and the rebuilt tensor commitment. The same for every replay mode.
 */
async function rebuildProjections(events: EventStore): Promise<Rebuilt> {
  const store = SqliteProjectionStore.open({ path: ':memory:' });
  try {
    return await foldAll(events, store);
  } catch (e) {
    if (e instanceof CliProblem) throw e;
    throw new CliProblem('replay-failed', 'The projections could not be rebuilt', `folding the ledger stopped: ${(e as Error).message}`);
  } finally {
    await store.close();
  }
}

async function foldAll(events: EventStore, store: SqliteProjectionStore): Promise<Rebuilt> {
  const { host, queries } = createProjections({ events, store });
  await host.start();
  try {
    await host.caughtUp();
  } finally {
    await host.stop().catch(() => undefined);
  }
  const projections: JsonObject[] = [];
  for (const d of defaultProjections()) {
    const { active } = await store.generations(d.name);
    const reader = store.reader(d.name, active!);
    const cp = await reader.checkpoint();
    const rows: Record<string, number> = {};
    for (const c of Object.keys(d.collections)) rows[c] = await reader.count(c);
    projections.push({ projection: d.name, events: cp.events, position: position(cp.position), meta: cp.meta, rows });
  }
  return { projections, tensor: await queries.tensor.commitment() };
}

function tensorOut(t: TensorStamp): JsonObject {
  return { projection: COMPLIANCE_TENSOR, commitment: t.commitment, cell_count: t.cell_count, events: t.events, position: t.position };
}

function liveOut(t: TensorStamp | JsonObject | null): JsonObject | null {
  if (t === null) return null;
  const l = t as Record<string, unknown>;
  return { commitment: l.commitment, cell_count: l.cell_count, events: l.events, position: l.position, generation: l.generation } as JsonObject;
}

/**
 * `corridor replay`: an auditor's replay. From a node's data folder (`--data`), from a live node over HTTP
 * (`--node`: every chain fetched, re-verified and folded), or from an auditor bundle (`--bundle`). Prints each
 * projection's events, checkpoint, metadata and row counts and the rebuilt tensor commitment, compared with the
 * node's own. Exit 0 when they agree (or there is nothing to compare with) and every chain verifies, 1 otherwise.
 */
export const replayCommand: Command = {
  words: ['replay'],
  usage: 'corridor replay (--data DIR [--ledger FILE] | --node URL [--token TOKEN | --token-file FILE] [--corridor ID]... [--ruleset FILE]... [--page-size N] [--timeout SECONDS] | --bundle FILE)',
  summary: "rebuild every projection offline (from a node's ledger, from a live node's chains, or from a bundle); print row counts and the tensor commitment, compared with the node's",
  options: {
    data: { type: 'string' },
    ledger: { type: 'string' },
    node: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    corridor: { type: 'string', multiple: true },
    ruleset: { type: 'string', multiple: true },
    timeout: { type: 'string' },
    'page-size': { type: 'string' },
    bundle: { type: 'string' },
  },
  async run({ values }, io) {
    const modes = ['data', 'node', 'bundle'].filter((m) => values[m] !== undefined);
    if (modes.length !== 1) throw new CliProblem('usage', 'Invalid command line', 'replay needs exactly one of --data DIR (a node data folder), --node URL (a live node) or --bundle FILE (an auditor bundle)');
    const only = (allowed: string[]) => {
      for (const o of ['ledger', 'token', 'token-file', 'corridor', 'ruleset', 'timeout', 'page-size']) {
        if (values[o] !== undefined && !allowed.includes(o)) throw new CliProblem('usage', 'Invalid command line', `--${o} does not apply to replay --${modes[0]}`);
      }
    };
    if (modes[0] === 'data') {
      only(['ledger']);
      return replayData(values, io);
    }
    if (modes[0] === 'bundle') {
      only([]);
      return replayBundle(values.bundle as string, io);
    }
    only(['token', 'token-file', 'corridor', 'ruleset', 'timeout', 'page-size']);
    return replayNode(values, io);
  },
};

async function replayData(values: Values, io: CliIo): Promise<number> {
  if (typeof values.data !== 'string' || values.data === '') throw new CliProblem('usage', 'Invalid command line', 'replay needs --data DIR (the node data folder)');
  const dataDir = resolve(values.data);
  const ledgerFile = typeof values.ledger === 'string' ? resolve(values.ledger) : resolve(dataDir, 'ledger.sqlite');
  if (!existsSync(ledgerFile)) throw new CliProblem('not-found', 'Not found', `no ledger at ${ledgerFile}`);
  const events = SqliteEventStore.open({ path: ledgerFile, durability: 'normal' });
  try {
    const { projections, tensor } = await rebuildProjections(events);
    const live = await liveCommitment(resolve(dataDir, 'projections.sqlite'));
    const matches = live === null ? null : live.commitment === tensor.commitment;
    printJson(io, { ledger: ledgerFile, projections, tensor: tensorOut(tensor), live: liveOut(live), matches });
    return matches === false ? 1 : 0;
  } finally {
    await events.close();
  }
}

/** One line per verified chain in a replay report. */
function chainLine(r: AggregateChainReport): JsonObject {
  return {
    stream: r.stream,
    kind: r.kind,
    valid: r.valid,
    receipt_count: r.receipt_count,
    final_state_root: r.final_state_root,
    mmr_root: r.mmr.root,
    checkpoint: r.checkpoint ? r.checkpoint.valid : null,
    errors: r.errors.slice(0, 10) as unknown as JsonObject[],
  };
}

function stateChannelLine(b: Bundle, v: BundleVerification): JsonObject {
  const rep = v.report;
  const bundleErrors = isJsonObject(rep.bundle) && Array.isArray(rep.bundle.errors) ? rep.bundle.errors : [];
  const checkpointErrors = isJsonObject(rep.checkpoint) && Array.isArray(rep.checkpoint.errors) ? rep.checkpoint.errors : [];
  return {
    stream: stateChannelStream(b.corridor_id),
    kind: 'corridor_state_channel',
    valid: v.valid,
    receipt_count: b.receipts.length,
    final_state_root: v.result ? v.result.final_state_root : null,
    mmr_root: v.result ? v.result.mmr.root : null,
    checkpoint: isJsonObject(rep.checkpoint) ? rep.checkpoint.valid : null,
    errors: [...(rep.errors as JsonObject[]), ...(bundleErrors as JsonObject[]), ...(checkpointErrors as JsonObject[])].slice(0, 10),
  };
}

async function replayBundle(file: string, io: CliIo): Promise<number> {
  const loaded = await readBundleFile(file);
  const b = loaded.bundle;
  const v = await verifyBundle(b, {}, { declaredSha256: loaded.declaredSha256, computedSha256: loaded.computedSha256, canonical: loaded.canonical });
  // Only chains that verify are folded: a read model of receipts that do not verify would mean nothing.
  const chains: FetchedChain[] = [];
  if (v.lifecycle.valid) chains.push({ stream: lifecycleStream(b.corridor_id), receipts: b.lifecycle.receipts });
  if (v.result !== null && v.result.receipt_count === b.receipts.length) chains.push({ stream: stateChannelStream(b.corridor_id), receipts: b.receipts });
  const events = await memoryLedger(chains);
  try {
    const { projections, tensor } = await rebuildProjections(events);
    printJson(io, {
      bundle: file,
      corridor_id: b.corridor_id,
      node: { ...b.node },
      chains: [chainLine(v.lifecycle), stateChannelLine(b, v)],
      projections,
      tensor: tensorOut(tensor),
      live: null,
      matches: null,
      valid: v.valid,
    });
    return v.valid ? 0 : 1;
  } finally {
    await events.close();
  }
}

/** Every id of a paged regulator list (`{data: {items, next}}`). */
async function regulatorIds(client: NodeClient, path: string, field: string): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (let pages = 0; pages < 100_000; pages++) {
    const r = await client.getObject(`${path}?limit=1000${after === undefined ? '' : `&after=${encodeURIComponent(after)}`}`);
    const data = isJsonObject(r.data) ? r.data : {};
    for (const item of Array.isArray(data.items) ? data.items : []) if (isJsonObject(item) && typeof item[field] === 'string') out.push(item[field] as string);
    if (typeof data.next !== 'string' || data.next === '' || data.next === after) break;
    after = data.next;
  }
  return out;
}

/** A chain of another aggregate, with the node's checkpoint of it: checkpoint first, then the receipts it covers. */
async function fetchChain(client: NodeClient, prefix: string): Promise<{ receipts: JsonObject[]; checkpoint: JsonObject }> {
  const checkpoint = await client.getObject(`${prefix}/checkpoint`);
  const count = typeof checkpoint.receipt_count === 'number' ? checkpoint.receipt_count : 0;
  return { receipts: await client.allReceipts(prefix, count), checkpoint };
}

/** The live tensor commitment, or null when the token is not a regulator's and corridors were named (an auditor). */
async function regulatorCommitment(client: NodeClient, corridorsNamed: boolean): Promise<JsonObject | null> {
  try {
    return await client.getObject('/regulator/tensor/commitment');
  } catch (e) {
    if (corridorsNamed && e instanceof CliProblem && e.slug === 'unauthorized') return null;
    throw e;
  }
}

async function replayNode(values: Values, io: CliIo): Promise<number> {
  const token = await readToken(values, io.env);
  const client = new NodeClient(values.node as string, { token, ...clientOptions(values) });
  const given = Array.isArray(values.corridor) ? (values.corridor as string[]) : [];
  if (!client.hasToken && given.length === 0) {
    throw new CliProblem(
      'usage',
      'Invalid command line',
      'replay --node needs a regulator token (--token, --token-file, CORRIDOR_TOKEN or CORRIDOR_REGULATOR_TOKEN: it lists the corridors, disputes, sagas and watchers and reads the live commitment) or the corridors to replay (--corridor ID, with an auditor token)',
    );
  }
  const rulesets = await readRulesetFiles(list(values, 'ruleset'));
  const node = await nodeIdentity(client);
  // A regulator's token lists every chain and reads the live commitment; an auditor's reads the named corridors only.
  const liveBefore = client.hasToken ? await regulatorCommitment(client, given.length > 0) : null;
  const regulator = liveBefore !== null;

  const corridorIds = new Set(given);
  if (regulator) for (const id of await regulatorIds(client, '/regulator/corridors', 'corridor_id')) corridorIds.add(id);

  const chains: FetchedChain[] = [];
  const lines: JsonObject[] = [];
  let valid = true;
  const genesisOf = new Map<string, string>();
  for (const id of [...corridorIds].sort()) {
    const status = await corridorStatus(client, id);
    if (isJsonObject(status.state_channel)) {
      const b = await bundleFromNode(client, id, nowUtc(io), rulesets);
      const v = await verifyBundle(b, {});
      valid &&= v.valid;
      if (v.result) genesisOf.set(id, v.result.genesis_root);
      if (v.lifecycle.valid) chains.push({ stream: lifecycleStream(id), receipts: b.lifecycle.receipts });
      if (v.result !== null && v.result.receipt_count === b.receipts.length) chains.push({ stream: stateChannelStream(id), receipts: b.receipts });
      lines.push(chainLine(v.lifecycle), stateChannelLine(b, v));
    } else {
      const lc = await lifecycleFromNode(client, id);
      const r = verifyAggregateChain('corridor_lifecycle', id, lc.receipts, { basePath: `/corridors/${id}/lifecycle/receipts`, checkpoint: lc.checkpoint, checkpointPath: `/corridors/${id}/lifecycle/checkpoint`, nodeDid: node.did });
      valid &&= r.valid;
      if (r.valid) chains.push({ stream: lifecycleStream(id), receipts: lc.receipts });
      lines.push(chainLine(r));
    }
  }

  if (regulator) {
    const others: { kind: AggregateChainKind; id: string; prefix: string }[] = [];
    for (const id of await regulatorIds(client, '/regulator/migrations', 'migration_id')) others.push({ kind: 'migration', id, prefix: `/migrations/${seg(id)}` });
    for (const id of await regulatorIds(client, '/regulator/disputes', 'dispute_id')) others.push({ kind: 'dispute', id, prefix: `/disputes/${seg(id)}` });
    const watchers = new Set<string>();
    for (const id of [...corridorIds].sort()) {
      const w = await client.getObject(`/regulator/corridors/${seg(id)}/watchers`);
      const list = isJsonObject(w.data) && Array.isArray(w.data.watchers) ? w.data.watchers : [];
      for (const x of list) if (isJsonObject(x) && typeof x.watcher_id === 'string') watchers.add(x.watcher_id);
    }
    for (const id of [...watchers].sort()) others.push({ kind: 'watcher_bond', id, prefix: `/watcher-bonds/${seg(id)}` });
    for (const o of others) {
      const { receipts, checkpoint } = await fetchChain(client, o.prefix);
      const first = receipts[0];
      const corridorId = first && typeof first.corridor_id === 'string' ? first.corridor_id : undefined;
      // A saga's or dispute's chain is bound to its corridor's genesis root: checked against the verified corridor.
      const report = verifyAggregateChain(o.kind, o.id, receipts, {
        basePath: `${o.prefix}/receipts`,
        checkpoint,
        checkpointPath: `${o.prefix}/checkpoint`,
        nodeDid: node.did,
        corridorGenesisRoot: corridorId === undefined ? undefined : genesisOf.get(corridorId),
      });
      valid &&= report.valid;
      if (report.valid) chains.push({ stream: report.stream, receipts });
      lines.push(chainLine(report));
    }
  }

  const events = await memoryLedger(chains);
  try {
    const { projections, tensor } = await rebuildProjections(events);
    const live = regulator ? await client.getObject('/regulator/tensor/commitment') : null;
    const matches = live === null ? null : live.commitment === tensor.commitment;
    const out: JsonObject = {
      node: { url: client.base, did: node.did, jurisdiction: node.jurisdiction },
      chains: lines,
      projections,
      tensor: tensorOut(tensor),
      live: liveOut(live),
      matches,
      valid,
    };
    if (live !== null && liveBefore !== null && liveBefore.commitment !== live.commitment) {
      out.note = "the node's commitment changed while the replay ran (the node kept appending): replay a quiet node to compare";
    }
    printJson(io, out);
    return valid && matches !== false ? 0 : 1;
  } finally {
    await events.close();
  }
}

export const REPLAY_COMMANDS: Command[] = [replayCommand];
