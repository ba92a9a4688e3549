import { readFile } from 'node:fs/promises';
import {
  digestOf,
  isJsonObject,
  normalizeDigestSet,
  parseJsonText,
  type JsonObject,
} from '@corridor/protocol';
import { CliProblem } from '../cli-problem';
import { readUtf8 } from '../module-loader';
import { invalidAnswer, NodeClient, seg } from './node-client';
import {
  lifecycleRecord,
  manifestOf,
  parseBundleText,
  shippedRulesetDescriptors,
  trustAnchorsDocument,
  type Bundle,
  type BundleHeader,
  type LoadedBundle,
  type NodeIdentity,
} from './bundle';

/**
 * A corridor to export: everything but the state-channel receipts, which come page by page (from the node through
 * `?after=`, or from a bundle already in memory), so that writing a bundle or a reference layout never holds the
 * whole chain.
 */
export interface CorridorSource {
  header: BundleHeader;
  receiptCount: number;
  receiptPages(): AsyncIterable<JsonObject[]>;
}

export interface NodeExportOptions {
  exportedAt: string;
  /** Also include the checkpoints at these heights (besides the head's). */
  checkpointHeights?: number[];
  /** A checkpoint every this many receipts (besides the head's). */
  checkpointEvery?: number;
  /** Ruleset descriptors by id (default: the ones this CLI ships, which are the node's). */
  rulesets?: Record<string, JsonObject>;
}

export async function nodeIdentity(client: NodeClient): Promise<NodeIdentity> {
  const n = await client.getObject('/node');
  if (typeof n.did !== 'string' || typeof n.jurisdiction !== 'string' || typeof n.verification_method !== 'string') {
    throw invalidAnswer(`${client.base}/node`, 'expected {did, jurisdiction, verification_method}');
  }
  return { did: n.did, jurisdiction: n.jurisdiction, verification_method: n.verification_method };
}

/** GET /corridors/{id}, with a 404 turned into "no such corridor on this node". */
export async function corridorStatus(client: NodeClient, corridorId: string): Promise<JsonObject> {
  let status: JsonObject;
  try {
    status = await client.getObject(`/corridors/${seg(corridorId)}`);
  } catch (e) {
    if (e instanceof CliProblem && e.slug === 'not-found') throw new CliProblem('not-found', 'Not found', `corridor ${JSON.stringify(corridorId)} does not exist on the node at ${client.base}`);
    throw e;
  }
  if (status.corridor_id !== corridorId) throw invalidAnswer(`${client.base}/corridors/${seg(corridorId)}`, `expected the corridor ${corridorId}, got ${JSON.stringify(String(status.corridor_id))}`);
  return status;
}

/** The lifecycle chain and the node's checkpoint of it, consistent with each other (read again if it grew meanwhile). */
export async function lifecycleFromNode(client: NodeClient, corridorId: string): Promise<{ receipts: JsonObject[]; checkpoint: JsonObject }> {
  const prefix = `/corridors/${seg(corridorId)}/lifecycle`;
  const checkpoint = await client.getObject(`${prefix}/checkpoint`);
  const count = checkpoint.receipt_count;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) throw invalidAnswer(`${client.base}${prefix}/checkpoint`, 'the checkpoint has no receipt_count');
  return { receipts: await client.allReceipts(prefix, count), checkpoint };
}

/**
 * Everything a bundle holds, read from a node: its identity, the lifecycle chain (whose evidence gives the
 * definition, agreements, trust anchors and fork credentials), the state channel's head, the checkpoints, and the
 * ruleset descriptors the genesis commits to. The state channel is taken at its head when the export starts
 * (receipts appended later are not part of it), and the head checkpoint is the node's checkpoint of that height.
 */
export async function corridorFromNode(client: NodeClient, corridorId: string, options: NodeExportOptions): Promise<CorridorSource> {
  const node = await nodeIdentity(client);
  const status = await corridorStatus(client, corridorId);
  const sc = status.state_channel;
  if (!isJsonObject(sc)) {
    throw new CliProblem('not-activated', 'Corridor has no state channel', `corridor ${corridorId} is ${String(status.state)}: it has no state channel until it is activated, so there is nothing to export`);
  }
  const lifecycle = await lifecycleFromNode(client, corridorId);
  const rec = lifecycleRecord(lifecycle.receipts);
  if (rec.trustAnchors === null || rec.definition === null || rec.agreements === null) {
    throw invalidAnswer(`${client.base}/corridors/${corridorId}/lifecycle/receipts`, 'the lifecycle chain of an activated corridor must record its creation, definition and activation');
  }
  const head = isJsonObject(sc.head) ? sc.head.sequence : null;
  const receiptCount = typeof head === 'number' ? head + 1 : 0;

  const manifest = manifestOf(corridorId, rec.agreements.length);
  const rulesets = options.rulesets ?? shippedRulesetDescriptors();
  const ids = [manifest.verification_ruleset as string, (manifest.state_channel as JsonObject).transition_ruleset as string];
  const descriptors: Record<string, JsonObject> = {};
  for (const id of ids) {
    const d = rulesets[id];
    if (!d) throw new CliProblem('ruleset-unavailable', 'Ruleset descriptor unavailable', `no descriptor for ruleset ${id}: pass it with --ruleset FILE (the node does not serve its ruleset descriptors over HTTP)`);
    descriptors[id] = d;
  }
  const have = normalizeDigestSet(Object.values(descriptors).map((d) => digestOf(d)));
  const want = normalizeDigestSet(Array.isArray(sc.ruleset_digest_set) ? sc.ruleset_digest_set : []);
  if (have.join() !== want.join()) {
    throw new CliProblem(
      'ruleset-unavailable',
      'Ruleset descriptors do not match the corridor',
      `corridor ${corridorId} commits to ruleset_digest_set [${want.join(', ')}] but the descriptors at hand digest to [${have.join(', ')}]; ` +
        'the node does not serve its ruleset descriptors over HTTP: pass the node\'s own descriptors with --ruleset FILE',
    );
  }

  const heights = new Set<number>();
  if (receiptCount > 0) heights.add(receiptCount);
  for (const h of options.checkpointHeights ?? []) {
    if (h < 1 || h > receiptCount) throw new CliProblem('out-of-range', 'Out of range', `--checkpoint-at ${h} is outside 1..${receiptCount} (the state channel's height)`);
    heights.add(h);
  }
  if (options.checkpointEvery) for (let h = options.checkpointEvery; h < receiptCount; h += options.checkpointEvery) heights.add(h);
  const checkpoints: JsonObject[] = [];
  for (const h of [...heights].sort((a, b) => a - b)) checkpoints.push(await client.getObject(`/corridors/${seg(corridorId)}/checkpoints/${h}`));

  const header: BundleHeader = {
    corridor_id: corridorId,
    exported_at: options.exportedAt,
    node,
    manifest,
    definition_vc: rec.definition,
    agreement_vcs: rec.agreements,
    trust_anchors: trustAnchorsDocument(rec.trustAnchors),
    ruleset_descriptors: descriptors,
    lifecycle,
    checkpoints,
    fork_alarms: rec.forkAlarms,
    fork_resolutions: rec.forkResolutions,
  };
  return { header, receiptCount, receiptPages: () => client.receiptPages(`/corridors/${seg(corridorId)}`, receiptCount) };
}

/** A whole bundle in memory, read from a node (for `replay --node`). */
export async function bundleFromNode(client: NodeClient, corridorId: string, exportedAt: string, rulesets?: Record<string, JsonObject>): Promise<Bundle> {
  const src = await corridorFromNode(client, corridorId, { exportedAt, rulesets });
  const receipts: JsonObject[] = [];
  for await (const page of src.receiptPages()) receipts.push(...page);
  return { ...src.header, receipts };
}

export function sourceOfBundle(bundle: Bundle): CorridorSource {
  const { receipts, ...header } = bundle;
  return {
    header,
    receiptCount: receipts.length,
    receiptPages: async function* () {
      yield receipts;
    },
  };
}

/** Reads and shape-checks a bundle file; `computedSha256` is the digest of its canonical "bundle". */
export async function readBundleFile(file: string): Promise<LoadedBundle> {
  return parseBundleText(await readUtf8Problem(file), file);
}

async function readUtf8Problem(file: string): Promise<string> {
  try {
    return await readUtf8(file);
  } catch (e) {
    if (e instanceof CliProblem) throw new CliProblem('invalid-bundle', 'Invalid auditor bundle', `${file} is not valid UTF-8`);
    throw e;
  }
}

/** `--ruleset FILE` descriptors, by their ruleset_id. */
export async function readRulesetFiles(files: string[]): Promise<Record<string, JsonObject> | undefined> {
  if (files.length === 0) return undefined;
  const out: Record<string, JsonObject> = {};
  for (const f of files) {
    const v = parseJsonText(await readFile(f, 'utf8'));
    if (!isJsonObject(v) || typeof v.ruleset_id !== 'string' || v.ruleset_id === '') {
      throw new CliProblem('invalid-ruleset', 'Invalid ruleset descriptor', `${f} must be a ruleset descriptor (a JSON object with a ruleset_id)`);
    }
    out[v.ruleset_id] = v;
  }
  return out;
}
