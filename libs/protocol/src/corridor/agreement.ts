import { coerceDigest, sha256Hex } from '../digest';
import { asciiSortedJson } from '../json/canonical';
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json-value';
import { baseDid } from '../keys/did-key';
import { signingInput, verifyProofs } from '../proofs/proof';
import { agreementPaths, anchorsAllowing, normalizeTrustAnchors, pyStr, trustAnchorsPath, type CorridorModule } from './module';

/** `definition_payload_sha256`: SHA-256 of the definition credential's signing input (canonical, without proof). */
export function definitionPayloadSha256(definitionVc: JsonObject): string {
  return sha256Hex(signingInput(definitionVc));
}

/** An agreement credential's payload digest, computed like the definition's. */
export function agreementPayloadSha256(agreementVc: JsonObject): string {
  return sha256Hex(signingInput(agreementVc));
}

export interface AgreementSetInput {
  /** The manifest's `corridor_id` exactly as parsed (the reference does not trim it here). */
  corridor_id: JsonValue | undefined;
  definition_payload_sha256: string;
  /** One digest per agreement credential; sorted before hashing. */
  agreement_payload_sha256: string[];
}

/**
 * The bytes the reference hashes for `agreement_set_sha256`: Python's
 * `json.dumps(obj, sort_keys=True, separators=(',', ':'))` with its default `ensure_ascii=True` — not the canonical
 * form used everywhere else. The two agree while every string is ASCII; a non-ASCII corridor id is written as
 * `\uXXXX` escapes here (and as raw UTF-8 in canonical JSON), so the digests differ. The value feeds the genesis
 * root, so the quirk is reproduced, not fixed (spec/protocol.md, "Where we differ from the reference").
 */
export function agreementSetPreimage(input: AgreementSetInput): string {
  return asciiSortedJson({
    corridor_id: input.corridor_id === undefined ? null : input.corridor_id,
    definition_payload_sha256: input.definition_payload_sha256,
    agreement_payload_sha256: [...input.agreement_payload_sha256].sort(),
  });
}

export function agreementSetSha256(input: AgreementSetInput): string {
  return sha256Hex(agreementSetPreimage(input));
}

export interface ThresholdSummary {
  role: string;
  required: number;
  of: number | null;
  participants: number;
  signed: number;
  satisfied: boolean;
}

/** A signing threshold as the agreement states it: `required` of the participants holding `role`. */
export interface RoleThreshold extends JsonObject {
  role: string;
  required: number;
}

/**
 * What the reference's `corridor_agreement_summary` reports about a module's agreement credentials. Fields appear
 * as the evaluation gets that far (an early error leaves later fields out), exactly as in the reference.
 */
export interface AgreementSummary {
  corridor_id: JsonValue | undefined;
  has_agreement: boolean;
  agreement_paths: string[];
  activated: boolean;
  definition_payload_sha256?: string;
  definition_vc_id?: string;
  agreement_pattern?: 'party-specific' | 'multi-signer' | 'unknown';
  signed_parties_all?: string[];
  agreement_payload_sha256_by_path?: Record<string, string>;
  agreement_set_sha256?: string;
  participants?: JsonValue;
  role_by_did?: Record<string, string>;
  activation_thresholds?: JsonValue[];
  receipt_signing_thresholds?: JsonObject[];
  checkpointing_policy?: JsonObject;
  checkpoint_signing_thresholds?: JsonObject[];
  party_commitments?: Record<string, string>;
  commitment?: string;
  blocked_parties?: { id: string; commitment: string; path: string }[];
  signed_parties?: string[];
  thresholds?: ThresholdSummary[];
  signed_by_role?: Record<string, string[]>;
  pinned_lawpacks_by_party?: Record<string, JsonValue[]>;
}

/**
 * Agreement activation, as the reference evaluates it (`corridor_agreement_summary`):
 * - every agreement credential must verify; its signers must be trust anchors allowed `corridor_agreement`;
 * - it must bind this corridor and the definition credential (`definition_payload_sha256`, `definition_vc_id`);
 * - **party-specific pattern** (`credentialSubject.party` present): one current credential per party, issued and
 *   signed by that party; the party's `commitment` (default `agree`) must be one of
 *   `activation.accept_commitments` (default `["agree"]`), any other commitment blocks activation;
 *   **multi-signer pattern**: one shared subject whose signers all count, with one global commitment;
 *   mixing the two patterns is an error;
 * - per-role activation thresholds: `required` signers among the participants holding `role`, and `of` must equal
 *   the number of such participants;
 * - receipt-signing thresholds come from `state_channel.receipt_signing.thresholds`, else the activation
 *   thresholds; checkpoint thresholds from `state_channel.checkpointing.thresholds`, else the receipt thresholds;
 * - the definition's `lawpack_compatibility.required_domains` must each be pinned by every party (party-specific
 *   pattern), and pinned digests must appear in its allow-list when one is given.
 * `activated` = an agreement exists, every threshold is met, and there is no error.
 *
 * Not evaluated here (they need more than the module): JSON Schema validation of corridor.yaml and of the
 * agreement credentials, and the optional external authority registry.
 */
export function corridorAgreementSummary(module: CorridorModule): { errors: string[]; summary: AgreementSummary } {
  const errs: string[] = [];
  const c = module.manifest;
  const paths = agreementPaths(c);
  const summary: AgreementSummary = { corridor_id: c.corridor_id, has_agreement: paths.length > 0, agreement_paths: paths, activated: false };
  if (paths.length === 0) return { errors: errs, summary };

  const taName = basename(trustAnchorsPath(c));
  if (module.trustAnchors === undefined) {
    errs.push(`Missing ${taName}`);
    return { errors: errs, summary };
  }
  const defRel = pyStr(c.definition_vc_path).trim();
  if (!defRel) {
    errs.push('corridor.yaml: missing definition_vc_path');
    return { errors: errs, summary };
  }
  const defVc = module.definitionVc;
  const defPayload = definitionPayloadSha256(defVc);
  const defSubject = isJsonObject(defVc.credentialSubject) ? defVc.credentialSubject : {};
  const defLawpackCompat = defSubject.lawpack_compatibility;
  const defVcId = pyStr(defVc.id).trim();
  summary.definition_payload_sha256 = defPayload;
  if (defVcId) summary.definition_vc_id = defVcId;

  const allowedAgreement = anchorsAllowing(normalizeTrustAnchors(module.trustAnchors), 'corridor_agreement');
  if (allowedAgreement.size === 0) {
    errs.push(`${taName}: no trust anchors authorize corridor_agreement (allowed_attestations includes 'corridor_agreement')`);
  }

  let baseSubject: JsonObject | undefined;
  let pattern: 'party-specific' | 'multi-signer' | undefined;
  const allValidSigners = new Set<string>();
  const signedPartiesAll = new Set<string>();
  const payloadByPath: Record<string, string> = {};
  const seenParties = new Set<string>();
  const partyByVc = new Map<string, string>();
  const partyRoleByVc = new Map<string, string>();
  const partyCommitment = new Map<string, string>();
  const partyPath = new Map<string, string>();
  const pinnedByParty: Record<string, JsonValue[]> = {};

  for (const rel of paths) {
    const vc = module.agreementVcs[rel];
    if (!vc) {
      errs.push(`Missing ${rel}`);
      continue;
    }
    payloadByPath[rel] = agreementPayloadSha256(vc);

    const results = verifyProofs(vc);
    const okDids = results.filter((r) => r.ok).map((r) => baseDid(r.verificationMethod)).filter((d) => d !== '');
    if (!results.some((r) => r.ok)) errs.push(`${rel}: no valid proofs`);
    for (const r of results) if (!r.ok) errs.push(`${rel}: invalid proof for ${r.verificationMethod}: ${r.error ?? r.check}`);
    for (const did of okDids) allValidSigners.add(did);

    const subj = vc.credentialSubject ?? {};
    if (!isJsonObject(subj)) {
      errs.push(`${rel}: credentialSubject must be an object`);
      continue;
    }
    const issuerDid = baseDid(pyStr(vc.issuer));
    const commitment = (pyStr(subj.commitment).trim() || 'agree').toLowerCase();

    if (subj.corridor_id && !jsonEqual(subj.corridor_id, c.corridor_id)) {
      errs.push(`${rel}: corridor_id mismatch (VC=${pyStr(subj.corridor_id)} vs manifest=${pyStr(c.corridor_id)})`);
    }
    const boundDef = pyStr(subj.definition_payload_sha256).trim();
    if (boundDef && boundDef !== defPayload) errs.push(`${rel}: definition_payload_sha256 mismatch (VC vs corridor definition payload)`);
    const boundDefId = pyStr(subj.definition_vc_id).trim();
    if (boundDefId && defVcId && boundDefId !== defVcId) {
      errs.push(`${rel}: definition_vc_id mismatch (VC=${boundDefId} vs definition=${defVcId})`);
    }
    if (allowedAgreement.size > 0) {
      for (const did of okDids) {
        if (!allowedAgreement.has(did)) errs.push(`${rel}: signer ${did} is not authorized for corridor_agreement in ${taName}`);
      }
    }

    const party = subj.party;
    if (party !== undefined && party !== null) {
      if (pattern === 'multi-signer') errs.push(MIXED_PATTERNS);
      pattern ??= 'party-specific';
      if (!isJsonObject(party)) {
        errs.push(`${rel}: credentialSubject.party must be an object`);
      } else {
        const partyId = baseDid(pyStr(party.id));
        const partyRole = pyStr(party.role).trim();
        if (!partyId) {
          errs.push(`${rel}: credentialSubject.party.id is required for participant-specific agreement VCs`);
        } else {
          if (seenParties.has(partyId)) {
            errs.push(`agreement: duplicate party ${partyId} across agreement_vc_path (status lock violation); include only one current VC per party`);
          } else {
            seenParties.add(partyId);
          }
          partyByVc.set(rel, partyId);
          if (partyRole) partyRoleByVc.set(rel, partyRole);
          partyCommitment.set(partyId, commitment);
          partyPath.set(partyId, rel);
          const pinned = subj.pinned_lawpacks;
          if (pinned === undefined || pinned === null) pinnedByParty[partyId] = [];
          else if (Array.isArray(pinned)) pinnedByParty[partyId] = pinned;
          else errs.push(`${rel}: credentialSubject.pinned_lawpacks must be an array when present`);
          if (issuerDid && issuerDid !== partyId) {
            errs.push(`${rel}: issuer ${issuerDid} must match credentialSubject.party.id ${partyId} for participant-specific agreement VCs`);
          }
          if (okDids.includes(partyId)) signedPartiesAll.add(partyId);
          else errs.push(`${rel}: party ${partyId} did not sign this agreement VC`);
        }
      }
    } else {
      if (pattern === 'party-specific') errs.push(MIXED_PATTERNS);
      pattern ??= 'multi-signer';
      for (const did of okDids) signedPartiesAll.add(did);
    }

    if (baseSubject === undefined) {
      baseSubject = subj;
    } else {
      const keys = ['corridor_id', 'definition_payload_sha256', 'participants', 'activation', 'terms'];
      if (pattern === 'multi-signer') keys.push('commitment');
      for (const k of keys) {
        if (!jsonEqual(subj[k], baseSubject[k])) {
          errs.push(`${rel}: agreement VC subject.${k} does not match other agreement VC(s)`);
          break;
        }
      }
      const a = pyStr(baseSubject.definition_vc_id).trim();
      const b = pyStr(subj.definition_vc_id).trim();
      if (a && b && a !== b) errs.push(`${rel}: agreement VC subject.definition_vc_id does not match other agreement VC(s)`);
    }
  }

  summary.agreement_pattern = pattern ?? 'unknown';
  summary.signed_parties_all = [...signedPartiesAll].sort();
  if (Object.keys(payloadByPath).length > 0) {
    summary.agreement_payload_sha256_by_path = Object.fromEntries(Object.keys(payloadByPath).sort().map((k) => [k, payloadByPath[k]]));
    summary.agreement_set_sha256 = agreementSetSha256({
      corridor_id: c.corridor_id,
      definition_payload_sha256: defPayload,
      agreement_payload_sha256: Object.values(payloadByPath),
    });
  }
  if (baseSubject === undefined) return { errors: errs, summary };

  const participants = baseSubject.participants ?? [];
  summary.participants = participants;
  const roleByDid = new Map<string, string>();
  if (Array.isArray(participants)) {
    for (const p of participants) {
      if (!isJsonObject(p)) continue;
      const pid = baseDid(pyStr(p.id));
      const role = pyStr(p.role).trim();
      if (pid && role) roleByDid.set(pid, role);
    }
  }
  summary.role_by_did = Object.fromEntries([...roleByDid.keys()].sort().map((k) => [k, roleByDid.get(k) as string]));

  const corridorParticipants = c.participants;
  if (Array.isArray(corridorParticipants) && corridorParticipants.length > 0) {
    const cset = new Set(corridorParticipants.filter((x) => x).map((x) => baseDid(pyStr(x))));
    const vset = new Set(roleByDid.keys());
    const missing = [...cset].filter((d) => !vset.has(d)).sort();
    const extra = [...vset].filter((d) => !cset.has(d)).sort();
    if (missing.length) errs.push(`agreement: corridor.yaml participants not present in agreement VC participants: ${pyList(missing)}`);
    if (extra.length) errs.push(`agreement: agreement VC participants not present in corridor.yaml participants: ${pyList(extra)}`);
  }
  for (const did of [...allValidSigners].sort()) {
    if (roleByDid.size > 0 && !roleByDid.has(did)) errs.push(`agreement: signer ${did} is not listed in credentialSubject.participants`);
  }
  for (const [rel, partyId] of partyByVc) {
    const expectedRole = roleByDid.get(partyId);
    const declaredRole = partyRoleByVc.get(rel) ?? '';
    if (expectedRole && declaredRole && expectedRole !== declaredRole) {
      errs.push(`${rel}: party role mismatch for ${partyId} (party.role=${declaredRole} vs participants.role=${expectedRole})`);
    }
    if (roleByDid.size > 0 && !roleByDid.has(partyId)) errs.push(`${rel}: party ${partyId} is not listed in credentialSubject.participants`);
  }

  const activation = baseSubject.activation ?? {};
  let thresholds: JsonValue = [];
  let acceptCommitments = ['agree'];
  if (isJsonObject(activation)) {
    thresholds = activation.thresholds || [];
    const ac = activation.accept_commitments;
    if (Array.isArray(ac)) {
      const norm = ac.map((x) => pyStr(x).trim().toLowerCase()).filter((x) => x !== '');
      if (norm.length) acceptCommitments = norm;
    }
  }
  if (!Array.isArray(thresholds) || thresholds.length === 0) {
    errs.push('agreement: missing activation.thresholds');
    return { errors: errs, summary };
  }
  summary.activation_thresholds = thresholds;

  const stateChannel = isJsonObject(baseSubject.state_channel) ? baseSubject.state_channel : undefined;
  let receiptSigning: JsonValue | undefined = stateChannel ? stateChannel.receipt_signing : undefined;
  if (receiptSigning === undefined || receiptSigning === null) receiptSigning = baseSubject.receipt_signing;
  let receiptThresholds: JsonObject[] = [];
  if (isJsonObject(receiptSigning) && Array.isArray(receiptSigning.thresholds)) receiptThresholds = receiptSigning.thresholds.filter(isJsonObject);
  if (receiptThresholds.length === 0) receiptThresholds = thresholds.filter(isJsonObject);
  summary.receipt_signing_thresholds = receiptThresholds;

  const checkpointing = stateChannel ? stateChannel.checkpointing : undefined;
  let checkpointThresholds: JsonObject[] = [];
  if (isJsonObject(checkpointing) && Array.isArray(checkpointing.thresholds)) checkpointThresholds = checkpointing.thresholds.filter(isJsonObject);
  if (checkpointThresholds.length === 0) checkpointThresholds = [...receiptThresholds];
  summary.checkpointing_policy = isJsonObject(checkpointing) ? { ...checkpointing } : {};
  summary.checkpoint_signing_thresholds = checkpointThresholds;

  const accept = new Set(acceptCommitments);
  const signedParties = new Set<string>();
  const blocked: { id: string; commitment: string; path: string }[] = [];
  if (pattern === 'party-specific') {
    for (const partyId of [...partyCommitment.keys()].sort()) {
      const comm = partyCommitment.get(partyId) as string;
      if (!accept.has(comm)) {
        blocked.push({ id: partyId, commitment: comm, path: partyPath.get(partyId) ?? '' });
        errs.push(`agreement: party ${partyId} commitment '${comm}' blocks activation (accept_commitments=${pyList(acceptCommitments)})`);
      }
    }
    for (const did of signedPartiesAll) if (accept.has(partyCommitment.get(did) ?? 'agree')) signedParties.add(did);
    summary.party_commitments = Object.fromEntries([...partyCommitment.keys()].sort().map((k) => [k, partyCommitment.get(k) as string]));
  } else {
    const globalCommitment = pyStr(baseSubject.commitment).trim().toLowerCase() || 'agree';
    summary.commitment = globalCommitment;
    if (!accept.has(globalCommitment)) {
      errs.push(`agreement: commitment '${globalCommitment}' blocks activation (accept_commitments=${pyList(acceptCommitments)})`);
    } else {
      for (const did of signedPartiesAll) signedParties.add(did);
    }
  }
  summary.blocked_parties = blocked;

  const thresholdSummaries: ThresholdSummary[] = [];
  let activated = true;
  for (const t of thresholds) {
    if (!isJsonObject(t)) continue;
    const role = pyStr(t.role).trim();
    const required = pyInt(t.required);
    if (required === undefined) {
      errs.push(`agreement: invalid threshold.required for role '${role}'`);
      activated = false;
      continue;
    }
    const withRole = [...roleByDid].filter(([, r]) => r === role).map(([d]) => d);
    const signedWithRole = [...signedParties].filter((d) => roleByDid.get(d) === role);
    const ofRaw = 'of' in t ? t.of : null;
    let of: number | null = null;
    if (ofRaw !== null && ofRaw !== undefined) {
      const ofN = pyInt(ofRaw);
      if (ofN === undefined) {
        errs.push(`agreement: invalid threshold.of for role '${role}'`);
        activated = false;
      } else {
        of = ofN;
        if (ofN !== withRole.length) {
          errs.push(`agreement: threshold 'of' mismatch for role '${role}' (of=${ofN} vs participants=${withRole.length})`);
          activated = false;
        }
      }
    }
    if (signedWithRole.length < required) {
      errs.push(`agreement: activation threshold not met for role '${role}' (${signedWithRole.length} signed, requires ${required})`);
      activated = false;
    }
    thresholdSummaries.push({ role, required, of, participants: withRole.length, signed: signedWithRole.length, satisfied: signedWithRole.length >= required });
  }
  summary.signed_parties = [...signedParties].sort();
  summary.thresholds = thresholdSummaries;
  const byRole: Record<string, string[]> = {};
  for (const did of signedParties) {
    const role = roleByDid.get(did);
    if (role) (byRole[role] ??= []).push(did);
  }
  for (const r of Object.keys(byRole)) byRole[r].sort();
  summary.signed_by_role = byRole;
  summary.pinned_lawpacks_by_party = pinnedByParty;

  if (isJsonObject(defLawpackCompat)) {
    const reqDomains = defLawpackCompat.required_domains || [];
    const allowedList = defLawpackCompat.allowed || [];
    const allowedMap = new Map<string, Set<string>>();
    if (Array.isArray(allowedList)) {
      for (const ent of allowedList) {
        if (!isJsonObject(ent)) continue;
        const jid = pyStr(ent.jurisdiction_id).trim();
        const dom = pyStr(ent.domain).trim();
        const digests = ent.digests_sha256 || [];
        if (jid && dom && Array.isArray(digests)) {
          allowedMap.set(`${jid}\u0000${dom}`, new Set(digests.filter((d): d is string => typeof d === 'string' && d.trim() !== '').map((d) => d.trim())));
        }
      }
    }
    if (Array.isArray(reqDomains) && reqDomains.length > 0 && pattern === 'party-specific') {
      for (const pid of [...roleByDid.keys()].sort()) {
        const present = new Set((pinnedByParty[pid] ?? []).filter(isJsonObject).map((lp) => pyStr(lp.domain).trim()));
        for (const dom of reqDomains) {
          const d = typeof dom === 'string' ? dom : pyStr(dom);
          if (!present.has(d)) errs.push(`lawpacks: party ${pid} missing pinned lawpack for required domain '${d}'`);
        }
      }
    }
    if (allowedMap.size > 0) {
      for (const [pid, pinned] of Object.entries(pinnedByParty)) {
        for (const lp of pinned) {
          if (!isJsonObject(lp)) continue;
          const jid = pyStr(lp.jurisdiction_id).trim();
          const dom = pyStr(lp.domain).trim();
          let digest = '';
          try {
            digest = coerceDigest(lp.lawpack_digest_sha256);
          } catch {
            digest = '';
          }
          if (!(jid && dom && digest)) continue;
          const allowed = allowedMap.get(`${jid}\u0000${dom}`);
          if (allowed === undefined) {
            errs.push(`lawpacks: ${pid} pinned ${jid}/${dom} digest ${digest} but definition has no allowlist entry for that jurisdiction/domain`);
          } else if (!allowed.has(digest)) {
            errs.push(`lawpacks: ${pid} pinned ${jid}/${dom} digest ${digest} which is not in definition allowlist`);
          }
        }
      }
    }
  }

  summary.activated = paths.length > 0 && activated && errs.length === 0;
  return { errors: errs, summary };
}

const MIXED_PATTERNS = 'agreement: mixed agreement patterns (party-specific + multi-signer) in agreement_vc_path; choose one pattern';

function basename(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? path : path.slice(i + 1);
}

/** Python's `int(x)` on the scalars thresholds hold; `undefined` where Python would raise. */
export function pyInt(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\s*[+-]?\d+(_\d+)*\s*$/.test(value)) return Number(value.replace(/_/g, '').trim());
  return undefined;
}

/** Python's repr of a list of strings, for messages that read like the reference's. */
function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s}'`).join(', ')}]`;
}

/** Structural equality of JSON values (object key order ignored), as Python's `==` on parsed JSON. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const numeric = (x: unknown) => typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x));
    return numeric(a) && numeric(b) && BigInt(a as number | bigint) === BigInt(b as number | bigint);
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isJsonObject(a as JsonValue)) {
    if (!isJsonObject(b as JsonValue)) return false;
    const ao = a as JsonObject;
    const bo = b as JsonObject;
    const ak = Object.keys(ao);
    if (ak.length !== Object.keys(bo).length) return false;
    return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
  }
  return false;
}
