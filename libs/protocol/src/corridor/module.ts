import { ProtocolError } from '../errors';
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json-value';
import { baseDid } from '../keys/did-key';

/**
 * A corridor module, in memory: what the reference reads from a module directory, already parsed. Reading files is
 * the caller's business (the CLI's module loader); everything here is pure.
 *
 * - `manifest`: the parsed `corridor.yaml`.
 * - `definitionVc`: the corridor definition credential (`manifest.definition_vc_path`).
 * - `agreementVcs`: agreement credentials keyed by the path as `manifest.agreement_vc_path` spells it (a missing
 *   key means a missing file).
 * - `trustAnchors`: the parsed trust-anchors file (`manifest.trust_anchors_path`, default `trust-anchors.yaml`),
 *   `undefined` when the file does not exist.
 * - `rulesetDescriptors`: ruleset descriptor documents by ruleset id (the reference resolves ids through
 *   `registries/rulesets.yaml`).
 * - `transitionTypeRegistryLock` / `transitionTypeRegistry`: the pinned transition-type registry, when the corridor
 *   configures one (`state_channel.transition_type_registry_lock_path` / `_path`).
 */
export interface CorridorModule {
  manifest: JsonObject;
  definitionVc: JsonObject;
  agreementVcs: Record<string, JsonObject>;
  trustAnchors?: JsonValue;
  rulesetDescriptors: Record<string, JsonValue>;
  transitionTypeRegistryLock?: JsonObject;
  transitionTypeRegistry?: JsonObject;
}

export const DEFAULT_VERIFICATION_RULESET = 'msez.corridor.verification.v1';
export const DEFAULT_TRANSITION_RULESET = 'msez.corridor.state-transition.v2';
export const DEFAULT_TRUST_ANCHORS_PATH = 'trust-anchors.yaml';

/** Python's `str(x or "")` for the scalar values a manifest holds. */
export function pyStr(value: unknown): string {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return '';
  if (typeof value === 'string') return value;
  if (value === true) return 'True';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** `corridor_id` from the manifest, trimmed; throws `invalid-module` when absent. */
export function corridorIdOf(manifest: JsonObject): string {
  const id = pyStr(manifest.corridor_id).trim();
  if (!id) throw new ProtocolError('invalid-module', 'corridor.yaml missing corridor_id');
  return id;
}

/** `agreement_vc_path` as a list: a string or a list of strings; empty entries dropped. */
export function agreementPaths(manifest: JsonObject): string[] {
  const av = manifest.agreement_vc_path;
  if (!av) return [];
  if (typeof av === 'string') return av.trim() ? [av.trim()] : [];
  if (Array.isArray(av)) return av.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim());
  return [];
}

/** The manifest's `state_channel` block (an empty object when absent or malformed). */
export function stateChannelConfig(manifest: JsonObject): JsonObject {
  return isJsonObject(manifest.state_channel) ? manifest.state_channel : {};
}

/** The two ruleset ids whose descriptors a corridor's receipts are bound to. */
export function corridorRulesetIds(manifest: JsonObject): { verification: string; transition: string } {
  return {
    verification: (pyStr(manifest.verification_ruleset) || DEFAULT_VERIFICATION_RULESET).trim(),
    transition: (pyStr(stateChannelConfig(manifest).transition_ruleset) || DEFAULT_TRANSITION_RULESET).trim(),
  };
}

export function trustAnchorsPath(manifest: JsonObject): string {
  return pyStr(manifest.trust_anchors_path) || DEFAULT_TRUST_ANCHORS_PATH;
}

/** One trust anchor after the reference's normalization (`load_trust_anchors`). */
export interface TrustAnchor {
  /** Base DID (fragment removed). */
  did: string;
  allowed_attestations: string[];
  raw: JsonObject;
}

/**
 * Normalizes a parsed trust-anchors document (`{trust_anchors: [{identifier|did, allowed_attestations}]}`):
 * identifiers lose their `#fragment`, entries without one are dropped. Malformed input yields an empty list, as in
 * the reference (schema validation of the file is a separate concern).
 */
export function normalizeTrustAnchors(doc: JsonValue | undefined): TrustAnchor[] {
  if (!isJsonObject(doc)) return [];
  const anchors = doc.trust_anchors;
  if (!Array.isArray(anchors)) return [];
  const out: TrustAnchor[] = [];
  for (const a of anchors) {
    if (!isJsonObject(a)) continue;
    const ident = (pyStr(a.identifier) || pyStr(a.did)).trim();
    const did = baseDid(ident).trim();
    if (!did) continue;
    const allowed = Array.isArray(a.allowed_attestations) ? a.allowed_attestations : [];
    out.push({ did, allowed_attestations: allowed.map((x) => pyStr(x)).filter((x) => x.trim() !== ''), raw: a });
  }
  return out;
}

/** Base DIDs of the anchors allowed to sign `attestation` (or `*` when `wildcard` is set). */
export function anchorsAllowing(anchors: TrustAnchor[], attestation: string, options: { wildcard?: boolean } = {}): Set<string> {
  const out = new Set<string>();
  for (const a of anchors) {
    if (a.allowed_attestations.includes(attestation) || (options.wildcard && a.allowed_attestations.includes('*'))) out.add(a.did);
  }
  return out;
}
