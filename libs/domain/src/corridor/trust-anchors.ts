import { baseDid, isJsonObject } from '@corridor/protocol';
import { refuse } from '../shared/domain-error';
import { requireDidKey } from '../shared/fields';
import type { TrustAnchorRecord } from './state';
import { ZONE_AUTHORITY } from './evidence';

/**
 * Reads the trust-anchors document of a CreateCorridor command, strictly: `{trust_anchors: [{identifier (or did),
 * allowed_attestations}]}`. The reference's loader silently drops malformed entries; a corridor created with a
 * silently dropped authority could later not be suspended, so here a malformed entry refuses the command.
 */
export function readTrustAnchors(doc: unknown): TrustAnchorRecord[] {
  if (!isJsonObject(doc) || !Array.isArray(doc.trust_anchors)) {
    refuse('invalid-command', 'trust_anchors must be a trust-anchors document {trust_anchors: [...]}');
  }
  const anchors = doc.trust_anchors.map((a, i) => {
    if (!isJsonObject(a)) refuse('invalid-command', `trust_anchors[${i}] must be an object`);
    const id = a.identifier ?? a.did;
    const did = requireDidKey(typeof id === 'string' ? baseDid(id) : id, `trust_anchors[${i}].identifier`);
    const roles = a.allowed_attestations;
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => typeof r === 'string' && r !== '')) {
      refuse('invalid-command', `trust_anchors[${i}].allowed_attestations must be a non-empty list of role names`);
    }
    return { did, allowed_attestations: [...new Set(roles as string[])] };
  });
  if (new Set(anchors.map((a) => a.did)).size !== anchors.length) refuse('invalid-command', 'a DID is listed twice in trust_anchors');
  if (!anchors.some((a) => a.allowed_attestations.includes(ZONE_AUTHORITY))) {
    refuse('invalid-command', `trust_anchors must list at least one ${ZONE_AUTHORITY}: without one the corridor could never be suspended or deprecated`);
  }
  return anchors;
}
