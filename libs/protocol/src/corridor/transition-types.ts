import { digestOf } from '../digest';
import { ProtocolError } from '../errors';
import { compareCodePoints } from '../json/canonical';
import { isJsonObject, type JsonObject } from '../json/json-value';
import { pyStr, stateChannelConfig, type CorridorModule } from './module';

/** Hashed into every snapshot: the msez-era tag (the later mez rename changes this tag and so every digest). */
export const TRANSITION_TYPES_SNAPSHOT_TAG = 'msez.transition-types.registry.snapshot.v1';

const SNAPSHOT_FIELDS = ['schema_digest_sha256', 'ruleset_digest_sha256', 'zk_circuit_digest_sha256'] as const;

/**
 * The content-addressed snapshot of a transition-type registry: one item per kind, sorted by kind, keeping only
 * `kind` and the three semantic digests (lower-cased, left out when empty). Descriptive fields never enter it.
 * A digest field that is not a string is refused (the reference would hash the Python repr of the value).
 */
export function transitionTypeRegistrySnapshot(registryVersion: unknown, mapping: Record<string, JsonObject>): JsonObject {
  const items: JsonObject[] = [];
  for (const kind of Object.keys(mapping).sort(compareCodePoints)) {
    const entry = mapping[kind] ?? {};
    const item: JsonObject = { kind };
    for (const f of SNAPSHOT_FIELDS) {
      const raw = entry[f];
      if (raw === undefined || raw === null || raw === '' || raw === false || raw === 0) continue;
      if (typeof raw !== 'string') throw new ProtocolError('invalid-module', `transition type ${kind}: ${f} must be a digest string`);
      const v = raw.trim().toLowerCase();
      if (v) item[f] = v;
    }
    items.push(item);
  }
  const version = registryVersion === undefined || registryVersion === null || registryVersion === 0 || registryVersion === '' ? 1 : Number(registryVersion);
  if (!Number.isSafeInteger(version)) throw new ProtocolError('invalid-module', 'transition type registry version must be an integer');
  return { tag: TRANSITION_TYPES_SNAPSHOT_TAG, registry_version: version, transition_types: items };
}

/** `SHA256(canonical(snapshot))`: the value receipts carry as `transition_type_registry_digest_sha256`. */
export function transitionTypeRegistrySnapshotDigest(snapshot: JsonObject): string {
  return digestOf(snapshot);
}

/** `kind → entry` from a registry document (`{version, transition_types: [{kind, ...digests}]}`); duplicate kinds are refused. */
export function transitionTypeRegistryMapping(registry: JsonObject): Record<string, JsonObject> {
  const mapping: Record<string, JsonObject> = {};
  const entries = Array.isArray(registry.transition_types) ? registry.transition_types : [];
  for (const ent of entries) {
    if (!isJsonObject(ent)) continue;
    const kind = pyStr(ent.kind).trim();
    if (!kind) continue;
    if (Object.prototype.hasOwnProperty.call(mapping, kind)) throw new ProtocolError('invalid-module', `duplicate transition kind in registry: ${kind}`);
    mapping[kind] = { ...ent };
  }
  return mapping;
}

/**
 * Reads a registry lock (`{snapshot, snapshot_digest_sha256}`): the snapshot must carry the msez tag and, when the
 * lock states its digest, hash to it.
 */
export function transitionTypeRegistryLockDigest(lock: JsonObject): { digest: string; mapping: Record<string, JsonObject> } {
  const snapshot = lock.snapshot;
  if (!isJsonObject(snapshot)) throw new ProtocolError('invalid-module', 'transition type registry lock missing snapshot');
  if (snapshot.tag !== TRANSITION_TYPES_SNAPSHOT_TAG) throw new ProtocolError('invalid-module', 'transition type registry lock snapshot.tag mismatch');
  const digest = transitionTypeRegistrySnapshotDigest(snapshot);
  const stated = pyStr(lock.snapshot_digest_sha256).trim().toLowerCase();
  if (stated && stated !== digest) throw new ProtocolError('invalid-module', 'transition type registry lock snapshot_digest_sha256 mismatch');
  const mapping: Record<string, JsonObject> = {};
  for (const ent of Array.isArray(snapshot.transition_types) ? snapshot.transition_types : []) {
    if (!isJsonObject(ent)) continue;
    const kind = pyStr(ent.kind).trim();
    if (!kind) continue;
    if (Object.prototype.hasOwnProperty.call(mapping, kind)) throw new ProtocolError('invalid-module', `duplicate transition kind in lock snapshot: ${kind}`);
    mapping[kind] = { ...ent };
  }
  return { digest, mapping };
}

/**
 * The registry digest a corridor pins, or `null` when it pins none: the lock when the module has one, else the
 * snapshot of the registry document.
 */
export function corridorTransitionTypeRegistryDigest(module: CorridorModule): string | null {
  if (module.transitionTypeRegistryLock) return transitionTypeRegistryLockDigest(module.transitionTypeRegistryLock).digest;
  if (module.transitionTypeRegistry) {
    const mapping = transitionTypeRegistryMapping(module.transitionTypeRegistry);
    if (Object.keys(mapping).length === 0) return null;
    return transitionTypeRegistrySnapshotDigest(transitionTypeRegistrySnapshot(module.transitionTypeRegistry.version, mapping));
  }
  return null;
}

/** Whether the manifest configures a registry (then the module loader must supply it). */
export function configuresTransitionTypeRegistry(module: Pick<CorridorModule, 'manifest'>): boolean {
  const sc = stateChannelConfig(module.manifest);
  return Boolean(pyStr(sc.transition_type_registry_lock_path).trim() || pyStr(sc.transition_type_registry_path).trim());
}
