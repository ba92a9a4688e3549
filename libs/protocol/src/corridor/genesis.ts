import { coerceDigest, digestOf, normalizeDigestSet } from '../digest';
import { ProtocolError } from '../errors';
import { isJsonObject, type JsonObject } from '../json/json-value';
import { GENESIS_TAG, genesisRoot } from '../receipts/commitments';
import { corridorAgreementSummary, definitionPayloadSha256, type AgreementSummary } from './agreement';
import { corridorIdOf, corridorRulesetIds, type CorridorModule } from './module';

/** A ruleset descriptor's digest: SHA-256 of its canonical JSON. */
export function rulesetDescriptorDigest(descriptor: unknown): string {
  return digestOf(descriptor);
}

/**
 * The ruleset digest set every receipt of the corridor must carry: the descriptors of the verification ruleset
 * (`verification_ruleset`, default `msez.corridor.verification.v1`) and of the state-transition ruleset
 * (`state_channel.transition_ruleset`, default `msez.corridor.state-transition.v2`), normalized.
 */
export function expectedRulesetDigestSet(module: CorridorModule): string[] {
  const ids = corridorRulesetIds(module.manifest);
  const digests = [ids.verification, ids.transition].map((id) => {
    if (!Object.prototype.hasOwnProperty.call(module.rulesetDescriptors, id)) {
      throw new ProtocolError('invalid-module', `ruleset_id not found in registries/rulesets.yaml: ${id}`);
    }
    return rulesetDescriptorDigest(module.rulesetDescriptors[id]);
  });
  return normalizeDigestSet(digests);
}

/**
 * The lawpack digest set every receipt must carry: the union of the lawpacks pinned by the agreement's parties
 * (`credentialSubject.pinned_lawpacks[*].lawpack_digest_sha256`, a digest or an ArtifactRef), normalized. Only the
 * party-specific agreement pattern pins lawpacks; the set is empty otherwise, and — as in the reference — also when
 * anything about the agreement cannot be evaluated.
 */
export function expectedLawpackDigestSet(module: CorridorModule, summary?: AgreementSummary): string[] {
  try {
    const s = summary ?? corridorAgreementSummary(module).summary;
    const digests: string[] = [];
    for (const pinned of Object.values(s.pinned_lawpacks_by_party ?? {})) {
      if (!Array.isArray(pinned)) continue;
      for (const lp of pinned) {
        if (!isJsonObject(lp)) continue;
        const d = coerceDigest(lp.lawpack_digest_sha256);
        if (d) digests.push(d);
      }
    }
    return normalizeDigestSet(digests);
  } catch {
    return [];
  }
}

/** Everything the genesis root binds, and the root itself. */
export interface CorridorGenesis {
  corridor_id: string;
  definition_payload_sha256: string;
  /** '' when the corridor has no agreement credential. */
  agreement_set_sha256: string;
  lawpack_digest_set: string[];
  ruleset_digest_set: string[];
  /** The object whose canonical bytes are hashed. */
  payload: JsonObject;
  genesis_root: string;
}

/**
 * The corridor's genesis root (the first receipt's prev_root):
 * `SHA256(canonical({tag: "msez.corridor.state.genesis.v1", corridor_id, definition_payload_sha256,
 * agreement_set_sha256, lawpack_digest_set, ruleset_digest_set}))`.
 */
export function corridorGenesis(module: CorridorModule, summary?: AgreementSummary): CorridorGenesis {
  const corridor_id = corridorIdOf(module.manifest);
  if (!String(module.manifest.definition_vc_path ?? '').trim()) throw new ProtocolError('invalid-module', 'corridor.yaml missing definition_vc_path');
  const definition_payload_sha256 = definitionPayloadSha256(module.definitionVc);
  let s = summary;
  let agreement_set_sha256 = '';
  try {
    s ??= corridorAgreementSummary(module).summary;
    agreement_set_sha256 = String(s.agreement_set_sha256 ?? '').trim();
  } catch {
    agreement_set_sha256 = '';
  }
  const lawpack_digest_set = expectedLawpackDigestSet(module, s);
  const ruleset_digest_set = expectedRulesetDigestSet(module);
  const input = { corridor_id, definition_payload_sha256, agreement_set_sha256, lawpack_digest_set, ruleset_digest_set };
  return { ...input, payload: { tag: GENESIS_TAG, ...input }, genesis_root: genesisRoot(input) };
}

/** Just the genesis root. */
export function corridorGenesisRoot(module: CorridorModule): string {
  return corridorGenesis(module).genesis_root;
}
