import { resolve } from 'node:path';
import type { JsonObject } from '@corridor/protocol';
import { nowUtc, printJson } from '../cli-io';
import { CliProblem } from '../cli-problem';
import { NodeClient, readToken } from '../audit/node-client';
import { corridorFromNode, readBundleFile, readRulesetFiles, sourceOfBundle, type CorridorSource } from '../audit/sources';
import { fileSink, stdoutSink, writeBundle, writeReferenceLayout } from '../audit/writers';
import type { Command } from './command';

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
}

export function positiveInt(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[1-9]\d{0,14}$/.test(value)) throw new CliProblem('usage', 'Invalid command line', `--${name} must be a positive whole number`);
  return Number(value);
}

/** `--timeout SECONDS` (per HTTP request, default 30) and `--page-size N` (receipts per request, 1–1000, default 1000). */
export function clientOptions(values: Values): { timeoutMs: number; pageSize: number } {
  const pageSize = positiveInt(values['page-size'], 'page-size') ?? 1000;
  if (pageSize > 1000) throw new CliProblem('usage', 'Invalid command line', '--page-size is at most 1000 (the node\'s largest page)');
  return { timeoutMs: (positiveInt(values.timeout, 'timeout') ?? 30) * 1000, pageSize };
}

/**
 * `corridor export`: the auditor's copy of a corridor. From a node (`--node URL --corridor ID`): a self-contained
 * bundle (one canonical JSON file, spec/auditor-bundles.md), or with `--layout reference` the reference
 * implementation's module layout (so `corridor chain verify --module DIR --receipts DIR/receipts` and the
 * reference's own tool verify it). `--bundle FILE --layout reference` converts a bundle offline.
 */
export const exportCommand: Command = {
  words: ['export'],
  usage:
    'corridor export (--node URL --corridor ID | --bundle FILE) [--token TOKEN | --token-file FILE] [--layout bundle|reference] [--out FILE|DIR] [--ruleset FILE]... [--checkpoint-every N] [--checkpoint-at N]... [--page-size N] [--timeout SECONDS]',
  summary:
    "export a corridor for auditors: a self-contained bundle (canonical JSON; stdout without --out) or, with --layout reference, the reference implementation's module layout in DIR",
  options: {
    node: { type: 'string' },
    token: { type: 'string' },
    'token-file': { type: 'string' },
    corridor: { type: 'string' },
    bundle: { type: 'string' },
    layout: { type: 'string' },
    out: { type: 'string' },
    ruleset: { type: 'string', multiple: true },
    'checkpoint-every': { type: 'string' },
    'checkpoint-at': { type: 'string', multiple: true },
    timeout: { type: 'string' },
    'page-size': { type: 'string' },
  },
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new CliProblem('usage', 'Invalid command line', `unexpected argument ${JSON.stringify(positionals[0])}`);
    const layout = (values.layout as string | undefined) ?? 'bundle';
    if (layout !== 'bundle' && layout !== 'reference') throw new CliProblem('usage', 'Invalid command line', '--layout must be bundle or reference');
    const out = values.out as string | undefined;
    if (out === '') throw new CliProblem('usage', 'Invalid command line', '--out needs a path');
    if (layout === 'reference' && out === undefined) throw new CliProblem('usage', 'Invalid command line', '--layout reference needs --out DIR');
    const fromNode = typeof values.node === 'string';
    const fromBundle = typeof values.bundle === 'string';
    if (fromNode === fromBundle) throw new CliProblem('usage', 'Invalid command line', 'export needs either --node URL --corridor ID, or --bundle FILE');

    let source: CorridorSource;
    if (fromNode) {
      const corridorId = values.corridor;
      if (typeof corridorId !== 'string' || corridorId === '') throw new CliProblem('usage', 'Invalid command line', 'export --node needs --corridor ID');
      const client = new NodeClient(values.node as string, { token: await readToken(values, io.env), ...clientOptions(values) });
      source = await corridorFromNode(client, corridorId, {
        exportedAt: nowUtc(io),
        rulesets: await readRulesetFiles(list(values, 'ruleset')),
        checkpointEvery: positiveInt(values['checkpoint-every'], 'checkpoint-every'),
        checkpointHeights: list(values, 'checkpoint-at').map((v) => positiveInt(v, 'checkpoint-at')!),
      });
    } else {
      if (layout !== 'reference') throw new CliProblem('usage', 'Invalid command line', 'export --bundle converts a bundle: it needs --layout reference --out DIR');
      for (const o of ['corridor', 'token', 'token-file', 'ruleset', 'checkpoint-every', 'checkpoint-at', 'page-size', 'timeout']) {
        if (values[o] !== undefined) throw new CliProblem('usage', 'Invalid command line', `--${o} applies to an export from a node, not to --bundle`);
      }
      source = sourceOfBundle((await readBundleFile(values.bundle as string)).bundle);
    }

    const h = source.header;
    const head = h.checkpoints[h.checkpoints.length - 1];
    const summary: JsonObject = {
      corridor_id: h.corridor_id,
      layout,
      node: h.node.did,
      receipt_count: source.receiptCount,
      lifecycle_receipt_count: h.lifecycle.receipts.length,
      checkpoints: h.checkpoints.map((c) => c.receipt_count as number),
      fork_alarms: h.fork_alarms.length,
      fork_resolutions: h.fork_resolutions.length,
      head: head ? { receipt_count: head.receipt_count, final_state_root: head.final_state_root, mmr_root: (head.mmr as JsonObject).root } : null,
    };

    if (layout === 'reference') {
      const w = await writeReferenceLayout(source, resolve(out!));
      printJson(io, { ...summary, out, files: w.files, receipts_dir: `${out}/receipts` });
      return 0;
    }
    if (out === undefined) {
      await writeBundle(source, stdoutSink((t) => io.stdout(t)));
      return 0;
    }
    const w = await writeBundle(source, await fileSink(resolve(out)));
    printJson(io, { ...summary, out, bundle_sha256: w.sha256 });
    return 0;
  },
};

export const EXPORT_COMMANDS: Command[] = [exportCommand];
