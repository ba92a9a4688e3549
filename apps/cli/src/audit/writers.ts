import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { canonicalize, compareCodePoints, type JsonObject } from '@corridor/protocol';
import { CliProblem } from '../cli-problem';
import { BUNDLE_FORMAT, BUNDLE_KEYS, BUNDLE_VERSION, type BundleHeader } from './bundle';
import type { CorridorSource } from './sources';

/** Where bundle text goes: a file (with back-pressure) or standard output. */
export interface TextSink {
  write(chunk: string): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

/** Writes FILE.partial-PID, renamed to FILE once complete: a failed export never leaves a truncated bundle behind. */
export async function fileSink(file: string): Promise<TextSink> {
  const tmp = `${file}.partial-${process.pid}`;
  await mkdir(dirname(file), { recursive: true });
  const stream = createWriteStream(tmp, { encoding: 'utf8' });
  await once(stream, 'open');
  let failed: Error | undefined;
  stream.on('error', (e) => (failed = e));
  return {
    async write(chunk) {
      if (failed) throw failed;
      if (!stream.write(chunk)) await once(stream, 'drain');
    },
    async close() {
      stream.end();
      await once(stream, 'finish');
      if (failed) throw failed;
      await rename(tmp, file);
    },
    async abort() {
      stream.destroy();
      await rm(tmp, { force: true });
    },
  };
}

export function stdoutSink(write: (t: string) => void): TextSink {
  return { write: async (t) => write(t), close: async () => undefined, abort: async () => undefined };
}

/** Flush to the sink once this much text is pending (a page of receipts is written at once). */
const FLUSH_AT = 1 << 20;

/**
 * Streams a bundle as canonical JSON: `{"bundle":{…keys in code-point order…},"bundle_sha256":"…"}` + LF. The
 * receipts are written page by page as they arrive, and the integrity digest is computed over the same bytes on
 * the way, so memory stays at one page whatever the chain's length.
 */
export async function writeBundle(source: CorridorSource, sink: TextSink): Promise<{ sha256: string; receipts: number }> {
  const h = source.header;
  const hash = createHash('sha256');
  let pending = '';
  const emit = async (text: string, hashed = true) => {
    if (hashed) hash.update(text, 'utf8');
    pending += text;
    if (pending.length >= FLUSH_AT) {
      await sink.write(pending);
      pending = '';
    }
  };
  const values = headerValues(h);
  let receipts = 0;
  try {
    await emit('{"bundle":', false);
    await emit('{');
    let first = true;
    for (const key of BUNDLE_KEYS) {
      await emit(`${first ? '' : ','}${canonicalize(key)}:`);
      first = false;
      if (key !== 'receipts') {
        await emit(canonicalize(values[key]));
        continue;
      }
      await emit('[');
      for await (const page of source.receiptPages()) {
        let text = '';
        for (const r of page) text += (receipts++ === 0 ? '' : ',') + canonicalize(r);
        await emit(text);
      }
      await emit(']');
    }
    await emit('}');
    const sha256 = hash.digest('hex');
    await emit(`,"bundle_sha256":${canonicalize(sha256)}}\n`, false);
    await sink.write(pending);
    await sink.close();
    return { sha256, receipts };
  } catch (e) {
    await sink.abort();
    throw e;
  }
}

function headerValues(h: BundleHeader): Record<Exclude<(typeof BUNDLE_KEYS)[number], 'receipts'>, unknown> {
  return {
    agreement_vcs: h.agreement_vcs,
    checkpoints: h.checkpoints,
    corridor_id: h.corridor_id,
    definition_vc: h.definition_vc,
    exported_at: h.exported_at,
    fork_alarms: h.fork_alarms,
    fork_resolutions: h.fork_resolutions,
    format: BUNDLE_FORMAT,
    lifecycle: { checkpoint: h.lifecycle.checkpoint, receipts: h.lifecycle.receipts },
    manifest: h.manifest,
    node: h.node,
    ruleset_descriptors: h.ruleset_descriptors,
    trust_anchors: h.trust_anchors,
    version: BUNDLE_VERSION,
  };
}

// The writer relies on BUNDLE_KEYS being in canonical (code-point) order.
for (let i = 1; i < BUNDLE_KEYS.length; i++) {
  if (compareCodePoints(BUNDLE_KEYS[i - 1]!, BUNDLE_KEYS[i]!) >= 0) throw new Error('BUNDLE_KEYS must be sorted by code point');
}

/** A document file as the reference writes it: canonical JSON and one LF. */
function jsonFile(doc: unknown): string {
  return canonicalize(doc) + '\n';
}

/** Zero-padded sequence file names, one width for the whole folder (so a name sort is the sequence order). */
export function sequenceName(sequence: number, count: number): string {
  return `${String(sequence).padStart(Math.max(6, String(Math.max(0, count - 1)).length), '0')}.json`;
}

/**
 * Writes the corridor in the reference implementation's layout (research: reference algorithms §4, §7, §8):
 *
 *     DIR/corridor.yaml                  the module manifest
 *     DIR/corridor.vc.json               definition credential
 *     DIR/corridor.agreement.<i>.vc.json agreement credentials, in activation order
 *     DIR/trust-anchors.yaml
 *     DIR/registries/rulesets.yaml       rulesets: [{ruleset_id, path}]   (DIR is its own registry root)
 *     DIR/rulesets/<ruleset_id>.json     the descriptors the genesis commits to
 *     DIR/receipts/<sequence>.json       one state-channel receipt per file, canonical JSON + LF
 *     DIR/checkpoints/checkpoint-<n>.json
 *     DIR/fork-alarms/…, DIR/fork-resolutions/…   the fork credentials of the lifecycle (if any)
 *     DIR/lifecycle/receipts/…, DIR/lifecycle/checkpoint.json   the lifecycle chain (ours, not the reference's)
 *     DIR/export.json                    where it came from: node identity, export time, head
 *
 * so that `corridor chain verify --module DIR --receipts DIR/receipts` verifies it as is. Written into a scratch
 * folder renamed to DIR at the end; DIR must not exist or be empty.
 */
export async function writeReferenceLayout(source: CorridorSource, dir: string): Promise<{ receipts: number; files: number }> {
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new CliProblem('out-exists', 'Output exists', `${dir} exists and is not an empty folder: a reference layout is written into a new folder`);
  }
  const h = source.header;
  // Names come from the bundle: plain file names only, so nothing is written outside DIR.
  const names = [h.manifest.definition_vc_path, h.manifest.trust_anchors_path, ...(h.manifest.agreement_vc_path as unknown[]), ...Object.keys(h.ruleset_descriptors)];
  for (const n of names) {
    if (typeof n !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(n)) throw new CliProblem('invalid-bundle', 'Invalid auditor bundle', `${JSON.stringify(n)} is not a plain file name or ruleset id`);
  }
  const tmp = `${dir}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  let files = 0;
  const put = async (rel: string, content: string) => {
    const p = join(tmp, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
    files++;
  };
  try {
    await mkdir(join(tmp, 'receipts'), { recursive: true });
    // The reference's order of corridor.yaml fields (corridor_id first), whatever the order they were read in.
    const order = ['corridor_id', 'definition_vc_path', 'agreement_vc_path', 'trust_anchors_path', 'verification_ruleset', 'state_channel'];
    const manifest = Object.fromEntries([...order.filter((k) => k in h.manifest), ...Object.keys(h.manifest).filter((k) => !order.includes(k))].map((k) => [k, h.manifest[k]]));
    await put('corridor.yaml', toYaml(manifest));
    await put(h.manifest.definition_vc_path as string, jsonFile(h.definition_vc));
    const paths = h.manifest.agreement_vc_path as string[];
    for (const [i, p] of paths.entries()) await put(p, jsonFile(h.agreement_vcs[i]));
    await put(h.manifest.trust_anchors_path as string, toYaml(h.trust_anchors, { sortMapEntries: true }));
    const ids = Object.keys(h.ruleset_descriptors).sort(compareCodePoints);
    await put('registries/rulesets.yaml', toYaml({ rulesets: ids.map((id) => ({ ruleset_id: id, path: `rulesets/${id}.json` })) }));
    for (const id of ids) await put(`rulesets/${id}.json`, jsonFile(h.ruleset_descriptors[id]));
    let receipts = 0;
    for await (const page of source.receiptPages()) {
      for (const r of page) {
        await put(`receipts/${sequenceName(receipts, source.receiptCount)}`, jsonFile(r));
        receipts++;
      }
    }
    for (const ck of h.checkpoints) await put(`checkpoints/checkpoint-${String(ck.receipt_count)}.json`, jsonFile(ck));
    for (const [i, vc] of h.fork_alarms.entries()) await put(`fork-alarms/fork-alarm-${i}.json`, jsonFile(vc));
    for (const [i, vc] of h.fork_resolutions.entries()) await put(`fork-resolutions/fork-resolution-${i}.json`, jsonFile(vc));
    const lc = h.lifecycle.receipts;
    for (const [i, r] of lc.entries()) await put(`lifecycle/receipts/${sequenceName(i, lc.length)}`, jsonFile(r));
    if (h.lifecycle.checkpoint) await put('lifecycle/checkpoint.json', jsonFile(h.lifecycle.checkpoint));
    const head = h.checkpoints[h.checkpoints.length - 1];
    const exportDoc: JsonObject = {
      format: 'corridor-ledger.reference-export',
      version: 1,
      corridor_id: h.corridor_id,
      exported_at: h.exported_at,
      node: h.node,
      receipt_count: receipts,
      head_checkpoint: head ? `checkpoints/checkpoint-${String(head.receipt_count)}.json` : null,
    };
    await put('export.json', jsonFile(exportDoc));
    if (existsSync(dir)) await rmdir(dir);
    await rename(tmp, dir);
    return { receipts, files };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
