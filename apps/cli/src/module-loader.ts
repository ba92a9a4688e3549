import { isUtf8 } from 'node:buffer';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  agreementPaths,
  corridorRulesetIds,
  digestOf,
  isJsonObject,
  parseJsonText,
  pyStr,
  rulesetDescriptorDigest,
  stateChannelConfig,
  transitionTypeRegistryMapping,
  trustAnchorsPath,
  type CorridorModule,
  type JsonObject,
  type JsonValue,
} from '@corridor/protocol';
import { CliProblem } from './cli-problem';

/**
 * Reads a corridor module laid out as the reference lays it out:
 *
 *     <root>/registries/rulesets.yaml          rulesets: [{ruleset_id, path}]   (paths relative to <root>)
 *     <root>/<descriptor>.json                 one per ruleset id
 *     <module>/corridor.yaml                   corridor_id, definition_vc_path, agreement_vc_path, trust_anchors_path,
 *                                              verification_ruleset, state_channel.{transition_ruleset,
 *                                              transition_type_registry_lock_path | transition_type_registry_path}
 *     <module>/<definition, agreement credentials, trust anchors, …>
 *
 * `root` defaults to the nearest ancestor of the module holding `registries/rulesets.yaml`. Module-relative paths are
 * tried first, then root-relative ones (as the reference resolves registry and lock paths).
 */
export interface LoadedModule {
  dir: string;
  root: string;
  module: CorridorModule;
}

export async function loadCorridorModule(moduleArg: string, rootArg?: string): Promise<LoadedModule> {
  let dir = resolve(moduleArg);
  if (existsSync(dir) && statSync(dir).isFile() && basename(dir) === 'corridor.yaml') dir = dirname(dir);
  const manifestPath = join(dir, 'corridor.yaml');
  if (!existsSync(manifestPath)) throw new CliProblem('invalid-module', 'Invalid corridor module', `corridor module not found or missing corridor.yaml: ${moduleArg}`);
  const manifest = await readYaml(manifestPath);
  if (!isJsonObject(manifest)) throw new CliProblem('invalid-module', 'Invalid corridor module', 'corridor.yaml must be a mapping');

  const root = rootArg !== undefined ? resolve(rootArg) : findRoot(dir);

  const defRel = pyStr(manifest.definition_vc_path).trim();
  if (!defRel) throw new CliProblem('invalid-module', 'Invalid corridor module', 'corridor.yaml missing definition_vc_path');
  const defPath = join(dir, defRel);
  if (!existsSync(defPath)) throw new CliProblem('invalid-module', 'Invalid corridor module', `Missing Corridor Definition VC: ${defRel}`);
  const definitionVc = await readJsonObject(defPath);

  const agreementVcs: Record<string, JsonObject> = {};
  for (const rel of agreementPaths(manifest)) {
    const p = join(dir, rel);
    if (existsSync(p)) agreementVcs[rel] = await readJsonObject(p);
  }

  const taPath = join(dir, trustAnchorsPath(manifest));
  const trustAnchors = existsSync(taPath) ? await readYaml(taPath) : undefined;

  const rulesetDescriptors: Record<string, JsonValue> = {};
  const registry = root ? await readRulesetRegistry(root) : {};
  const ids = corridorRulesetIds(manifest);
  for (const id of new Set([ids.verification, ids.transition])) {
    const rel = registry[id];
    if (!rel || !root) continue;
    const p = isAbsolute(rel) ? rel : join(root, rel);
    if (!existsSync(p)) throw new CliProblem('invalid-module', 'Invalid corridor module', `ruleset descriptor missing: ${rel}`);
    rulesetDescriptors[id] = parseJsonText(await readUtf8(p));
  }

  const module: CorridorModule = { manifest, definitionVc, agreementVcs, trustAnchors, rulesetDescriptors };
  await loadTransitionTypeRegistry(module, dir, root, registry);
  return { dir, root: root ?? dir, module };
}

/** The nearest ancestor (the module itself included) holding registries/rulesets.yaml. */
export function findRoot(start: string): string | undefined {
  let d = resolve(start);
  for (;;) {
    if (existsSync(join(d, 'registries', 'rulesets.yaml'))) return d;
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

async function readRulesetRegistry(root: string): Promise<Record<string, string>> {
  const p = join(root, 'registries', 'rulesets.yaml');
  if (!existsSync(p)) return {};
  const reg = await readYaml(p);
  const out: Record<string, string> = {};
  const entries = isJsonObject(reg) && Array.isArray(reg.rulesets) ? reg.rulesets : [];
  for (const e of entries) {
    if (!isJsonObject(e)) continue;
    const id = pyStr(e.ruleset_id).trim();
    const path = pyStr(e.path).trim();
    if (id && path) out[id] = path;
  }
  return out;
}

/**
 * The pinned transition-type registry: the lock (`transition_type_registry_lock_path`, or the registry path with a
 * `.lock.json` suffix when that file exists) or else the registry document, whose entries get their missing digests
 * from the files they point at (`schema_path` → canonical JSON digest, `ruleset_id` → descriptor digest,
 * `ruleset_path` → canonical JSON digest).
 */
async function loadTransitionTypeRegistry(module: CorridorModule, dir: string, root: string | undefined, rulesets: Record<string, string>): Promise<void> {
  const sc = stateChannelConfig(module.manifest);
  const regRel = pyStr(sc.transition_type_registry_path).trim();
  let lockRel = pyStr(sc.transition_type_registry_lock_path).trim();
  if (!lockRel && regRel) lockRel = /\.ya?ml$/i.test(regRel) ? regRel.replace(/\.ya?ml$/i, '.lock.json') : `${regRel}.lock.json`;
  if (lockRel) {
    const p = resolveModuleOrRoot(dir, root, lockRel);
    if (existsSync(p)) {
      module.transitionTypeRegistryLock = await readJsonObject(p);
      return;
    }
  }
  if (!regRel) return;
  const regPath = resolveModuleOrRoot(dir, root, regRel);
  if (!existsSync(regPath)) throw new CliProblem('invalid-module', 'Invalid corridor module', `transition type registry not found: ${regRel}`);
  const reg = await readYaml(regPath);
  if (!isJsonObject(reg)) throw new CliProblem('invalid-module', 'Invalid corridor module', `transition type registry must be a mapping: ${regRel}`);
  const mapping = transitionTypeRegistryMapping(reg);
  const filled: JsonObject[] = [];
  for (const entry of Object.values(mapping)) {
    const e: JsonObject = { ...entry };
    const schemaPath = pyStr(e.schema_path).trim();
    if (schemaPath) {
      const p = resolveModuleOrRoot(dir, root, schemaPath);
      if (existsSync(p)) {
        const computed = digestOf(parseJsonText(await readUtf8(p)));
        fillOrCheck(e, 'schema_digest_sha256', computed, pyStr(e.kind));
      }
    }
    const rid = pyStr(e.ruleset_id).trim();
    const rpath = pyStr(e.ruleset_path).trim();
    let rulesetDigest: string | undefined;
    if (rid && rulesets[rid] && root) rulesetDigest = rulesetDescriptorDigest(parseJsonText(await readUtf8(join(root, rulesets[rid]))));
    else if (rpath) {
      const p = resolveModuleOrRoot(dir, root, rpath);
      if (existsSync(p)) rulesetDigest = digestOf(parseJsonText(await readUtf8(p)));
    }
    if (rulesetDigest) fillOrCheck(e, 'ruleset_digest_sha256', rulesetDigest, pyStr(e.kind));
    filled.push(e);
  }
  module.transitionTypeRegistry = { ...reg, transition_types: filled };
}

function fillOrCheck(entry: JsonObject, field: string, computed: string, kind: string): void {
  const stated = pyStr(entry[field]).trim().toLowerCase();
  if (stated && stated !== computed) throw new CliProblem('invalid-module', 'Invalid corridor module', `${field} mismatch in transition type registry: kind=${kind}`);
  entry[field] = computed;
}

function resolveModuleOrRoot(dir: string, root: string | undefined, rel: string): string {
  if (isAbsolute(rel)) return rel;
  const m = join(dir, rel);
  if (existsSync(m) || !root) return m;
  const r = join(root, rel);
  return existsSync(r) ? r : m;
}

/** Reads a file as UTF-8, refusing invalid UTF-8 instead of replacing it. */
export async function readUtf8(path: string): Promise<string> {
  const bytes = await readFile(path);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliProblem('invalid-json', 'Input is not valid JSON', `${path} is not valid UTF-8`);
  }
}

async function readJsonObject(path: string): Promise<JsonObject> {
  const v = parseJsonText(await readUtf8(path));
  if (!isJsonObject(v)) throw new CliProblem('invalid-module', 'Invalid corridor module', `${path} must hold a JSON object`);
  return v;
}

async function readYaml(path: string): Promise<JsonValue> {
  try {
    return parseYaml(await readUtf8(path)) as JsonValue;
  } catch (e) {
    if (e instanceof CliProblem) throw e;
    throw new CliProblem('invalid-module', 'Invalid corridor module', `${path}: invalid YAML: ${(e as Error).message}`);
  }
}

/**
 * A file, or every `*.json` file of a directory (sorted), as `{path, text}` sources; `path` is relative to `base` for
 * files inside it (reports then name files as the reference does, relative to the module), absolute otherwise.
 */
const LENIENT_UTF8 = new TextDecoder('utf-8');

export async function readJsonSources(arg: string, base?: string): Promise<{ path: string; text: string; bytes: Buffer }[]> {
  const abs = resolve(arg);
  if (!existsSync(abs)) throw new CliProblem('unreadable-file', 'File cannot be read', `ENOENT: ${arg}`);
  const files = statSync(abs).isDirectory()
    ? (await readdir(abs)).filter((f) => f.endsWith('.json')).sort().map((f) => join(abs, f)).filter((f) => statSync(f).isFile())
    : [abs];
  const out: { path: string; text: string; bytes: Buffer }[] = [];
  // Synchronous reads and no decoder object per file: a chain of 100,000 receipts is 100,000 small files, and
  // per-file async overhead used to cost more than verifying them.
  for (const f of files) {
    const bytes = readFileSync(f);
    // Not UTF-8: handed on as it decodes (with replacement characters), so the verifier reports the file.
    const text = isUtf8(bytes) ? bytes.toString('utf8') : LENIENT_UTF8.decode(bytes);
    const rel = base ? relative(base, f) : '';
    out.push({ path: rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : f, text, bytes });
  }
  return out;
}
