import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CORRIDOR_EVENTS } from '@corridor/compliance';
import {
  baseDid,
  canonicalize,
  DEFAULT_TRANSITION_RULESET,
  DEFAULT_VERIFICATION_RULESET,
  isJsonObject,
  parseJsonText,
  verifyProofs,
  type CorridorModule,
  type KeyRotationRecord,
  type JsonObject,
  type JsonValue,
} from '@corridor/protocol';
import { CliProblem } from '../cli-problem';

/**
 * The auditor bundle (spec/auditor-bundles.md): one canonical JSON file holding everything needed to verify a
 * corridor offline. `{"bundle": {...}, "bundle_sha256": SHA-256 of the canonical bytes of "bundle"}`.
 */
export const BUNDLE_FORMAT = 'corridor-ledger.auditor-bundle';
export const BUNDLE_VERSION = 1;

export const DEFINITION_CREDENTIAL = 'MSEZCorridorDefinitionCredential';
export const AGREEMENT_CREDENTIAL = 'MSEZCorridorAgreementCredential';
export const FORK_ALARM_CREDENTIAL = 'MSEZCorridorForkAlarmCredential';
export const FORK_RESOLUTION_CREDENTIAL = 'MSEZCorridorForkResolutionCredential';
export const KEY_ROTATION_CREDENTIAL = 'MSEZCorridorKeyRotationCredential';

export const LIFECYCLE_RECEIPT_TYPE = 'MSEZCorridorLifecycleReceipt';
export const LIFECYCLE_GENESIS_TAG = 'msez.corridor.lifecycle.genesis.v1';

export const lifecycleStream = (id: string) => `corridor_lifecycle-${id}`;
export const stateChannelStream = (id: string) => `corridor-${id}`;

export interface NodeIdentity extends JsonObject {
  did: string;
  jurisdiction: string;
  verification_method: string;
}

/** Everything of a bundle but the state-channel receipts (which are streamed). */
export interface BundleHeader {
  corridor_id: string;
  exported_at: string;
  node: NodeIdentity;
  manifest: JsonObject;
  definition_vc: JsonObject;
  agreement_vcs: JsonObject[];
  trust_anchors: JsonObject;
  ruleset_descriptors: Record<string, JsonObject>;
  lifecycle: { receipts: JsonObject[]; checkpoint: JsonObject | null };
  /** Signed state-channel checkpoints, ascending receipt_count; the last one is at the head. */
  checkpoints: JsonObject[];
  fork_alarms: JsonObject[];
  fork_resolutions: JsonObject[];
}

export interface Bundle extends BundleHeader {
  receipts: JsonObject[];
}

/** The keys of `bundle`, each with its value's canonical text or a writer of it (the receipts are streamed). */
export const BUNDLE_KEYS = [
  'agreement_vcs',
  'checkpoints',
  'corridor_id',
  'definition_vc',
  'exported_at',
  'fork_alarms',
  'fork_resolutions',
  'format',
  'lifecycle',
  'manifest',
  'node',
  'receipts',
  'ruleset_descriptors',
  'trust_anchors',
  'version',
] as const;

/** The corridor.yaml of a node-run corridor (the node's own `corridorModuleOf`): fixed names, one file per agreement. */
export function manifestOf(corridorId: string, agreementCount: number, rulesets = { verification: DEFAULT_VERIFICATION_RULESET, transition: DEFAULT_TRANSITION_RULESET }): JsonObject {
  return {
    corridor_id: corridorId,
    definition_vc_path: 'corridor.vc.json',
    agreement_vc_path: agreementPaths(agreementCount),
    trust_anchors_path: 'trust-anchors.yaml',
    verification_ruleset: rulesets.verification,
    state_channel: { transition_ruleset: rulesets.transition },
  };
}

export function agreementPaths(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `corridor.agreement.${i}.vc.json`);
}

/** The corridor module a bundle describes, as `corridor chain verify` builds it from the reference layout. */
export function moduleOfBundle(b: BundleHeader): CorridorModule {
  const paths = b.manifest.agreement_vc_path as string[];
  return {
    manifest: b.manifest,
    definitionVc: b.definition_vc,
    agreementVcs: Object.fromEntries(paths.map((p, i) => [p, b.agreement_vcs[i]!])),
    trustAnchors: b.trust_anchors,
    rulesetDescriptors: b.ruleset_descriptors,
  };
}

export function credentialTypes(vc: unknown): string[] {
  if (!isJsonObject(vc)) return [];
  const t = vc.type;
  if (typeof t === 'string') return [t];
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : [];
}

/** What the lifecycle chain recorded about the corridor's package: read from the receipts' payloads. */
export interface LifecycleRecord {
  trustAnchors: { did: string; allowed_attestations: string[] }[] | null;
  definition: JsonObject | null;
  agreements: JsonObject[] | null;
  /** facts.agreement.agreement_set_sha256 of the activation. */
  agreementSetSha256: string | null;
  forkAlarms: JsonObject[];
  forkResolutions: JsonObject[];
  /** Signing keys rotated (corridor.signer-key-rotated.v1), whose credential names them and the new key signed. */
  keyRotations: KeyRotationRecord[];
  state: string | null;
}

/**
 * Reads the lifecycle receipts' payloads (the evidence credentials are recorded inline): the trust anchors the
 * corridor was created with, the definition submitted, the agreements it was activated with, every fork alarm and
 * fork resolution. Tolerant: whatever is malformed is skipped (the chain's own verification reports it).
 */
export function lifecycleRecord(receipts: readonly unknown[]): LifecycleRecord {
  const out: LifecycleRecord = { trustAnchors: null, definition: null, agreements: null, agreementSetSha256: null, forkAlarms: [], forkResolutions: [], keyRotations: [], state: null };
  for (const r of receipts) {
    if (!isJsonObject(r) || !isJsonObject(r.transition)) continue;
    const kind = r.transition.kind;
    const p = r.transition.payload;
    if (!isJsonObject(p)) continue;
    if (typeof p.to_state === 'string') out.state = p.to_state;
    else if (typeof p.state === 'string') out.state = p.state;
    const creds = Array.isArray(p.evidence) ? p.evidence.map((e) => (isJsonObject(e) ? e.credential : undefined)).filter(isJsonObject) : [];
    const ofType = (t: string) => creds.filter((c) => credentialTypes(c).includes(t));
    switch (kind) {
      case CORRIDOR_EVENTS.created:
        if (Array.isArray(p.trust_anchors)) {
          out.trustAnchors = p.trust_anchors.filter(isJsonObject).map((a) => ({
            did: String(a.did ?? a.identifier ?? ''),
            allowed_attestations: Array.isArray(a.allowed_attestations) ? a.allowed_attestations.map(String) : [],
          }));
        }
        break;
      case CORRIDOR_EVENTS.submitted:
        out.definition = ofType(DEFINITION_CREDENTIAL)[0] ?? out.definition;
        break;
      case CORRIDOR_EVENTS.activated: {
        out.agreements = ofType(AGREEMENT_CREDENTIAL);
        const facts = isJsonObject(p.facts) && isJsonObject(p.facts.agreement) ? p.facts.agreement : undefined;
        out.agreementSetSha256 = facts && typeof facts.agreement_set_sha256 === 'string' ? facts.agreement_set_sha256 : null;
        break;
      }
      case CORRIDOR_EVENTS.halted:
        out.forkAlarms.push(...ofType(FORK_ALARM_CREDENTIAL));
        break;
      case CORRIDOR_EVENTS.resumedFromHalt:
        out.forkResolutions.push(...ofType(FORK_RESOLUTION_CREDENTIAL));
        break;
      case CORRIDOR_EVENTS.signerKeyRotated: {
        const rotation = keyRotationOf(p.rotation, ofType(KEY_ROTATION_CREDENTIAL)[0]);
        if (rotation) out.keyRotations.push(rotation);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/**
 * A recorded rotation counts only when its credential states the same keys and sequence and carries a valid proof
 * by the new key (the node checked the rest when it recorded it; the lifecycle receipt is signed by the node).
 */
function keyRotationOf(rotation: unknown, credential: JsonObject | undefined): KeyRotationRecord | undefined {
  if (!isJsonObject(rotation) || !credential || !isJsonObject(credential.credentialSubject)) return undefined;
  const { previous_key, new_key, effective_from_sequence } = rotation;
  const s = credential.credentialSubject;
  if (typeof previous_key !== 'string' || typeof new_key !== 'string' || typeof effective_from_sequence !== 'number') return undefined;
  if (s.previous_key !== previous_key || s.new_key !== new_key || s.effective_from_sequence !== effective_from_sequence) return undefined;
  if (!verifyProofs(credential).some((r) => r.ok && baseDid(r.verificationMethod) === new_key)) return undefined;
  return { previous_key, new_key, effective_from_sequence };
}

/** The trust-anchors document of the corridor module (`trust-anchors.yaml`), from the anchors it was created with. */
export function trustAnchorsDocument(anchors: { did: string; allowed_attestations: string[] }[]): JsonObject {
  return { trust_anchors: anchors.map((a) => ({ identifier: a.did, allowed_attestations: [...a.allowed_attestations] })) };
}

/** The ruleset descriptors this CLI ships: the node's own (`@corridor/governance/rulesets`). */
export function shippedRulesetDescriptors(): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const id of [DEFAULT_VERIFICATION_RULESET, DEFAULT_TRANSITION_RULESET]) {
    const file = require.resolve(`@corridor/governance/rulesets/${id}.json`);
    const v = parseJsonText(readFileSync(file, 'utf8'));
    if (isJsonObject(v)) out[id] = v;
  }
  return out;
}

export function sameJson(a: unknown, b: unknown): boolean {
  try {
    return canonicalize(a) === canonicalize(b);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading a bundle file: strictly shaped, or a problem (exit 2) naming what is wrong.

export interface LoadedBundle {
  bundle: Bundle;
  /** The declared integrity digest and the one computed over the canonical bytes of `bundle`. */
  declaredSha256: string;
  /** SHA-256 of the canonical bytes of "bundle", as read. */
  computedSha256: string;
  /** Whether the file is exactly the canonical JSON of its content (optionally + LF). */
  canonical: boolean;
}

function malformed(detail: string): CliProblem {
  return new CliProblem('invalid-bundle', 'Invalid auditor bundle', detail);
}

function objectAt(v: JsonValue | undefined, where: string): JsonObject {
  if (!isJsonObject(v)) throw malformed(`${where} must be a JSON object`);
  return v;
}

function objectListAt(v: JsonValue | undefined, where: string): JsonObject[] {
  if (!Array.isArray(v)) throw malformed(`${where} must be a list`);
  v.forEach((x, i) => {
    if (!isJsonObject(x)) throw malformed(`${where}/${i} must be a JSON object`);
  });
  return v as JsonObject[];
}

function stringAt(v: JsonValue | undefined, where: string): string {
  if (typeof v !== 'string' || v === '') throw malformed(`${where} must be a non-empty string`);
  return v;
}

/** Parses bundle text (the protocol's JSON-text rules) and checks its shape; content is checked by verification. */
export function parseBundleText(text: string, file: string): LoadedBundle {
  let doc: JsonValue;
  try {
    doc = parseJsonText(text);
  } catch (e) {
    throw new CliProblem('invalid-bundle', 'Invalid auditor bundle', `${file} is not JSON the protocol accepts: ${(e as Error).message}`);
  }
  const top = objectAt(doc, `${file}: the document`);
  for (const k of Object.keys(top)) if (k !== 'bundle' && k !== 'bundle_sha256') throw malformed(`${file}: unknown top-level field ${JSON.stringify(k)}`);
  const declaredSha256 = stringAt(top.bundle_sha256, '/bundle_sha256');
  const b = objectAt(top.bundle, '/bundle');
  for (const k of Object.keys(b)) if (!(BUNDLE_KEYS as readonly string[]).includes(k)) throw malformed(`unknown field /bundle/${k}`);
  for (const k of BUNDLE_KEYS) if (!(k in b)) throw malformed(`/bundle/${k} is missing`);
  if (b.format !== BUNDLE_FORMAT) throw malformed(`/bundle/format must be ${JSON.stringify(BUNDLE_FORMAT)}, got ${JSON.stringify(canonicalSnippet(b.format))}`);
  if (b.version !== BUNDLE_VERSION) throw malformed(`unsupported /bundle/version ${canonicalSnippet(b.version)} (this tool reads version ${BUNDLE_VERSION})`);

  const corridorId = stringAt(b.corridor_id, '/bundle/corridor_id');
  const node = objectAt(b.node, '/bundle/node');
  for (const f of ['did', 'jurisdiction', 'verification_method']) stringAt(node[f], `/bundle/node/${f}`);
  const manifest = objectAt(b.manifest, '/bundle/manifest');
  checkManifest(manifest);
  const agreements = objectListAt(b.agreement_vcs, '/bundle/agreement_vcs');
  if ((manifest.agreement_vc_path as string[]).length !== agreements.length) {
    throw malformed(`/bundle/manifest/agreement_vc_path names ${(manifest.agreement_vc_path as string[]).length} files but /bundle/agreement_vcs holds ${agreements.length} credentials`);
  }
  const descriptors = objectAt(b.ruleset_descriptors, '/bundle/ruleset_descriptors');
  for (const [id, d] of Object.entries(descriptors)) objectAt(d, `/bundle/ruleset_descriptors/${id}`);
  const rulesetIds = [manifest.verification_ruleset, (manifest.state_channel as JsonObject).transition_ruleset] as string[];
  for (const id of rulesetIds) {
    if (!Object.prototype.hasOwnProperty.call(descriptors, id)) throw malformed(`/bundle/ruleset_descriptors has no descriptor for ruleset ${JSON.stringify(id)}`);
  }
  for (const id of Object.keys(descriptors)) if (!rulesetIds.includes(id)) throw malformed(`/bundle/ruleset_descriptors/${id} is not a ruleset the manifest names`);
  const lifecycle = objectAt(b.lifecycle, '/bundle/lifecycle');
  for (const k of Object.keys(lifecycle)) if (k !== 'receipts' && k !== 'checkpoint') throw malformed(`unknown field /bundle/lifecycle/${k}`);
  const lifecycleCheckpoint = lifecycle.checkpoint;
  if (lifecycleCheckpoint !== null) objectAt(lifecycleCheckpoint, '/bundle/lifecycle/checkpoint');

  const bundle: Bundle = {
    corridor_id: corridorId,
    exported_at: stringAt(b.exported_at, '/bundle/exported_at'),
    node: node as NodeIdentity,
    manifest,
    definition_vc: objectAt(b.definition_vc, '/bundle/definition_vc'),
    agreement_vcs: agreements,
    trust_anchors: objectAt(b.trust_anchors, '/bundle/trust_anchors'),
    ruleset_descriptors: descriptors as Record<string, JsonObject>,
    lifecycle: { receipts: objectListAt(lifecycle.receipts, '/bundle/lifecycle/receipts'), checkpoint: (lifecycleCheckpoint ?? null) as JsonObject | null },
    checkpoints: objectListAt(b.checkpoints, '/bundle/checkpoints'),
    fork_alarms: objectListAt(b.fork_alarms, '/bundle/fork_alarms'),
    fork_resolutions: objectListAt(b.fork_resolutions, '/bundle/fork_resolutions'),
    receipts: objectListAt(b.receipts, '/bundle/receipts'),
  };
  // The integrity digest covers the canonical bytes of "bundle"; the file itself must be those bytes, wrapped. Both
  // are computed piece by piece (a receipt at a time), never as one string the size of the file.
  const hash = createHash('sha256');
  let offset = 0;
  let canonical = true;
  const piece = (p: string, hashed: boolean) => {
    if (hashed) hash.update(p, 'utf8');
    if (canonical && !text.startsWith(p, offset)) canonical = false;
    offset += p.length;
  };
  piece('{"bundle":', false);
  for (const p of canonicalPieces(b)) piece(p, true);
  piece(`,"bundle_sha256":${canonicalize(declaredSha256)}}`, false);
  canonical &&= offset === text.length || (offset === text.length - 1 && text.endsWith('\n'));
  return { bundle, declaredSha256, computedSha256: hash.digest('hex'), canonical };
}

/**
 * The canonical JSON of a bundle object in pieces whose concatenation is `canonicalize(bundle)`: the keys in code-point
 * order (BUNDLE_KEYS), the receipts one by one.
 */
export function* canonicalPieces(b: JsonObject): Generator<string> {
  yield '{';
  let first = true;
  for (const key of BUNDLE_KEYS) {
    yield `${first ? '' : ','}${canonicalize(key)}:`;
    first = false;
    const v = b[key];
    if (key === 'receipts' && Array.isArray(v)) {
      yield '[';
      for (let i = 0; i < v.length; i++) yield (i === 0 ? '' : ',') + canonicalize(v[i]);
      yield ']';
    } else yield canonicalize(v);
  }
  yield '}';
}

const MANIFEST_KEYS = ['agreement_vc_path', 'corridor_id', 'definition_vc_path', 'state_channel', 'trust_anchors_path', 'verification_ruleset'];

function checkManifest(m: JsonObject): void {
  for (const k of Object.keys(m)) if (!MANIFEST_KEYS.includes(k)) throw malformed(`unknown field /bundle/manifest/${k} (a bundle carries no transition-type registry or other module files)`);
  for (const k of ['corridor_id', 'definition_vc_path', 'trust_anchors_path', 'verification_ruleset']) stringAt(m[k], `/bundle/manifest/${k}`);
  if (!Array.isArray(m.agreement_vc_path) || !m.agreement_vc_path.every((p) => typeof p === 'string' && p !== '')) throw malformed('/bundle/manifest/agreement_vc_path must be a list of file names');
  if (new Set(m.agreement_vc_path).size !== m.agreement_vc_path.length) throw malformed('/bundle/manifest/agreement_vc_path names a file twice');
  const sc = objectAt(m.state_channel, '/bundle/manifest/state_channel');
  for (const k of Object.keys(sc)) if (k !== 'transition_ruleset') throw malformed(`unknown field /bundle/manifest/state_channel/${k}`);
  stringAt(sc.transition_ruleset, '/bundle/manifest/state_channel/transition_ruleset');
}

function canonicalSnippet(v: unknown): string {
  try {
    return canonicalize(v ?? null).slice(0, 80);
  } catch {
    return String(v).slice(0, 80);
  }
}
