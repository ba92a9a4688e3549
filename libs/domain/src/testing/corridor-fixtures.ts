import { digestOf, withoutKeys, type JsonObject } from '@corridor/protocol';
import type { EvidenceRecord } from '../shared/credentials';
import { issueCredential, testKey } from './keys';

/**
 * A corridor between two zones, each with one zone-authority key that also signs the agreement, plus a watcher
 * (raises fork alarms) and an outsider (signs things it has no authority for).
 */
export const CORRIDOR_ID = 'corridor:uae-kaz-trade-01';
export const zoneA = testKey('zone authority A');
export const zoneB = testKey('zone authority B');
export const watcherKey = testKey('watcher 1');
export const outsider = testKey('outsider');

export const ROOT_1 = '1'.repeat(64);
export const ROOT_2 = '2'.repeat(64);
export const ROOT_3 = '3'.repeat(64);

/** `minute(0)` is 2025-03-01T09:00:00Z; every fixture time is a whole minute after it. */
export function minute(n: number): string {
  return new Date(Date.UTC(2025, 2, 1, 9, n, 0)).toISOString().replace('.000Z', 'Z');
}

export function trustAnchorsDocument(): JsonObject {
  return {
    trust_anchors: [
      { anchor_id: 'zone-a', type: 'did', identifier: zoneA.did, allowed_attestations: ['zone_authority', 'corridor_agreement', 'corridor_definition'] },
      { anchor_id: 'zone-b', type: 'did', identifier: zoneB.did, allowed_attestations: ['zone_authority', 'corridor_agreement', 'corridor_definition'] },
      { anchor_id: 'watcher-1', type: 'did', identifier: watcherKey.did, allowed_attestations: ['corridor_watcher_attestation'] },
    ],
  };
}

/** The trust anchors as the created event records them. */
export function trustAnchorRecords() {
  return [
    { did: zoneA.did, allowed_attestations: ['zone_authority', 'corridor_agreement', 'corridor_definition'] },
    { did: zoneB.did, allowed_attestations: ['zone_authority', 'corridor_agreement', 'corridor_definition'] },
    { did: watcherKey.did, allowed_attestations: ['corridor_watcher_attestation'] },
  ];
}

export function definitionCredential(corridorId = CORRIDOR_ID): JsonObject {
  return issueCredential({
    id: `urn:test:definition:${corridorId}`,
    types: ['MSEZCorridorDefinitionCredential'],
    subject: {
      corridor_id: corridorId,
      ruleset: 'msez.corridor.verification.v1',
      artifacts: { corridor_manifest: { artifact_type: 'blob', digest_sha256: 'a'.repeat(64) } },
    },
    signers: [zoneA],
  });
}

/** SHA-256 of a credential without its proof: how evidence is digested. */
export function payloadDigest(vc: JsonObject): string {
  return digestOf(withoutKeys(vc, 'proof'));
}

/** One shared agreement subject both zone authorities sign: 2 of 2 zone authorities must sign. */
export function agreementCredential(signers = [zoneA, zoneB], corridorId = CORRIDOR_ID): JsonObject {
  return issueCredential({
    id: `urn:test:agreement:${corridorId}`,
    types: ['MSEZCorridorAgreementCredential'],
    subject: {
      corridor_id: corridorId,
      definition_payload_sha256: payloadDigest(definitionCredential(corridorId)),
      participants: [
        { id: zoneA.did, role: 'zone_authority' },
        { id: zoneB.did, role: 'zone_authority' },
      ],
      activation: { thresholds: [{ role: 'zone_authority', required: 2, of: 2 }] },
    },
    signers,
  });
}

export const FORK = { sequence: 7, prev_root: ROOT_1, next_root_a: ROOT_2, next_root_b: ROOT_3 };

export function forkAlarmCredential(fork: JsonObject = FORK, signer = watcherKey, corridorId = CORRIDOR_ID): JsonObject {
  return issueCredential({
    types: ['MSEZCorridorForkAlarmCredential'],
    subject: { corridor_id: corridorId, detected_at: minute(30), ...fork },
    signers: [signer],
  });
}

export function forkResolutionCredential(chosen = ROOT_2, fork: { sequence: number; prev_root: string } = FORK, signer = zoneA): JsonObject {
  return issueCredential({
    types: ['MSEZCorridorForkResolutionCredential'],
    subject: {
      type: 'MSEZCorridorForkResolution',
      corridor_id: CORRIDOR_ID,
      sequence: fork.sequence,
      prev_root: fork.prev_root,
      chosen_next_root: chosen,
      resolved_at: minute(40),
    },
    signers: [signer],
  });
}

/** "Move the corridor from `from` to `to`", signed by `signer` (a zone authority unless a test says otherwise). */
export function lifecycleAuthorization(from: string, to: string, transitionedAt: string, signer = zoneA, corridorId = CORRIDOR_ID): JsonObject {
  return issueCredential({
    types: ['MSEZCorridorLifecycleTransitionCredential'],
    subject: { corridor_id: corridorId, from_state: from, to_state: to, transitioned_at: transitionedAt, reason: 'scheduled key rotation' },
    signers: [signer],
  });
}

/**
 * What activation with `agreementCredential()` establishes. The agreement-set digest is the reference's: SHA-256
 * of sorted JSON {agreement_payload_sha256: [sorted digests], corridor_id, definition_payload_sha256}; with ASCII
 * content that equals the canonical digest used here.
 */
export function agreementFacts() {
  return {
    agreement_set_sha256: digestOf({
      agreement_payload_sha256: [payloadDigest(agreementCredential())],
      corridor_id: CORRIDOR_ID,
      definition_payload_sha256: payloadDigest(definitionCredential()),
    }),
    signed_parties: [zoneA.did, zoneB.did].sort(),
    thresholds: [{ role: 'zone_authority', required: 2, of: 2, participants: 2, signed: 2, satisfied: true }],
    lawpack_digest_set: [] as string[],
  };
}

/** The evidence record an event carries for `vc`, as the specification defines it. */
export function evidenceOf(vc: JsonObject, signers: string[]): EvidenceRecord {
  return {
    artifact_type: 'vc',
    digest_sha256: payloadDigest(vc),
    credential_types: vc.type as string[],
    signers: [...signers].sort(),
    credential: vc,
  };
}

/**
 * The events of a corridor's life, written out as the specification describes them (not produced by the
 * decider), so they can serve both as expected outcomes and as the history of later specs.
 */
export const corridorEvents = {
  created: (at = minute(0)) => ({
    type: 'corridor.created.v1' as const,
    data: { corridor_id: CORRIDOR_ID, at, state: 'DRAFT', trust_anchors: trustAnchorRecords() },
  }),
  submitted: (at = minute(1)) => {
    const vc = definitionCredential();
    return {
      type: 'corridor.submitted.v1' as const,
      data: {
        corridor_id: CORRIDOR_ID,
        at,
        transition: 'submit' as const,
        from_state: 'DRAFT',
        to_state: 'PENDING',
        evidence: [evidenceOf(vc, [zoneA.did])],
        authorization: null,
        facts: { definition_payload_sha256: payloadDigest(vc) },
      },
    };
  },
  activated: (at = minute(2)) => {
    const vc = agreementCredential();
    return {
      type: 'corridor.activated.v1' as const,
      data: {
        corridor_id: CORRIDOR_ID,
        at,
        transition: 'activate' as const,
        from_state: 'PENDING',
        to_state: 'ACTIVE',
        evidence: [evidenceOf(vc, [zoneA.did, zoneB.did])],
        authorization: null,
        facts: { agreement: agreementFacts() },
      },
    };
  },
  halted: (at = minute(31)) => {
    const vc = forkAlarmCredential();
    return {
      type: 'corridor.halted.v1' as const,
      data: {
        corridor_id: CORRIDOR_ID,
        at,
        transition: 'halt' as const,
        from_state: 'ACTIVE',
        to_state: 'HALTED',
        evidence: [evidenceOf(vc, [watcherKey.did])],
        authorization: null,
        facts: { fork: FORK },
      },
    };
  },
  resumedFromHalt: (at = minute(41)) => {
    const vc = forkResolutionCredential();
    return {
      type: 'corridor.resumed-from-halt.v1' as const,
      data: {
        corridor_id: CORRIDOR_ID,
        at,
        transition: 'resume_from_halt' as const,
        from_state: 'HALTED',
        to_state: 'ACTIVE',
        evidence: [evidenceOf(vc, [zoneA.did])],
        authorization: null,
        facts: { resolution: { sequence: FORK.sequence, prev_root: FORK.prev_root, chosen_next_root: ROOT_2 } },
      },
    };
  },
  /** A zone-authority move (suspend, resume_from_suspension, deprecate): no evidence, a signed authorization. */
  authorized: <T extends string, K extends string>(type: T, kind: K, from: string, to: string, at: string, dated: string) => ({
    type,
    data: {
      corridor_id: CORRIDOR_ID,
      at,
      transition: kind,
      from_state: from,
      to_state: to,
      evidence: [],
      authorization: evidenceOf(lifecycleAuthorization(from, to, dated), [zoneA.did]),
      facts: {},
    },
  }),
};
