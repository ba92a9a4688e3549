import { corridorAgreementSummary, definitionPayloadSha256, expectedLawpackDigestSet, type CorridorModule } from '@corridor/protocol';
import {
  evidenceRecord,
  requireCredentialSchema,
  requireSubjectCorridor,
  verifyCredential,
  type EvidenceRecord,
  type VerifiedCredential,
} from '../shared/credentials';
import { refuse } from '../shared/domain-error';
import { compareTimestamps, timestampMillis } from '../shared/time';
import type { LifecycleFacts } from './events';
import type { LifecycleRule } from './lifecycle';
import type { CorridorState, ForkPoint, ForkResolution } from './state';

export const DEFINITION_CREDENTIAL = 'MSEZCorridorDefinitionCredential';
export const AGREEMENT_CREDENTIAL = 'MSEZCorridorAgreementCredential';
export const FORK_ALARM_CREDENTIAL = 'MSEZCorridorForkAlarmCredential';
export const FORK_RESOLUTION_CREDENTIAL = 'MSEZCorridorForkResolutionCredential';
/** The signed statement "move corridor X from state A to state B", as the reference's lifecycle tool reads it. */
export const LIFECYCLE_TRANSITION_CREDENTIAL = 'MSEZCorridorLifecycleTransitionCredential';
export const ZONE_AUTHORITY = 'zone_authority';

export interface EvidenceContext {
  readonly state: CorridorState;
  readonly corridorId: string;
  readonly at: string;
  readonly rule: LifecycleRule;
}

/** What one type of evidence must additionally say, beyond a valid proof and the right corridor. */
type EvidenceCheck = (credentials: VerifiedCredential[], ctx: EvidenceContext) => LifecycleFacts;

function exactlyOne(credentials: VerifiedCredential[], type: string): VerifiedCredential {
  if (credentials.length !== 1) refuse('invalid-evidence', `exactly one ${type} is expected, ${credentials.length} were given`);
  return credentials[0]!;
}

const checkDefinition: EvidenceCheck = (credentials) => {
  const vc = exactlyOne(credentials, DEFINITION_CREDENTIAL);
  return { definition_payload_sha256: definitionPayloadSha256(vc.credential) };
};

/**
 * Activation thresholds are evaluated by the protocol's `corridorAgreementSummary` (the reference's
 * `corridor_agreement_summary`), over a module made of this corridor's definition, the given agreements and the
 * trust anchors the corridor was created with.
 */
const checkAgreement: EvidenceCheck = (credentials, ctx) => {
  const definition = ctx.state.definition;
  if (definition === null) {
    refuse('evidence-missing', `corridor ${ctx.corridorId} has no submitted ${DEFINITION_CREDENTIAL} for the agreement to bind`);
  }
  const paths = credentials.map((_, i) => `agreement credential ${i}`);
  const module: CorridorModule = {
    manifest: { corridor_id: ctx.corridorId, definition_vc_path: 'definition credential', agreement_vc_path: paths },
    definitionVc: definition.credential,
    agreementVcs: Object.fromEntries(paths.map((p, i) => [p, credentials[i]!.credential])),
    trustAnchors: {
      trust_anchors: ctx.state.trust_anchors.map((a) => ({ identifier: a.did, allowed_attestations: a.allowed_attestations })),
    },
    rulesetDescriptors: {},
  };
  const { errors, summary } = corridorAgreementSummary(module);
  const unmet = (summary.thresholds ?? []).filter((t) => !t.satisfied);
  if (unmet.length > 0) {
    const what = unmet.map((t) => `${t.role}: ${t.signed} signed, ${t.required} required`).join('; ');
    refuse('thresholds-not-met', `activation thresholds not met (${what}); agreement summary: ${errors.join('; ')}`);
  }
  if (errors.length > 0 || !summary.activated) {
    refuse('invalid-evidence', `the agreement credentials do not activate the corridor: ${errors.join('; ') || 'no thresholds were evaluated'}`);
  }
  requireOneSequencer(credentials);
  return {
    agreement: {
      agreement_set_sha256: summary.agreement_set_sha256 ?? '',
      signed_parties: summary.signed_parties ?? [],
      thresholds: (summary.thresholds ?? []).map((t) => ({ ...t })),
      lawpack_digest_set: expectedLawpackDigestSet(module, summary),
    },
  };
};

/**
 * A shared corridor names its sequencer in `state_channel.sequencer` (spec/peering.md §1): every agreement that
 * names one must name the same participant, or two nodes would each believe they order the chain.
 */
function requireOneSequencer(credentials: VerifiedCredential[]): void {
  const named = new Set<string>();
  for (const vc of credentials) {
    const channel = vc.subject.state_channel;
    const sequencer = channel && typeof channel === 'object' && !Array.isArray(channel) ? (channel as Record<string, unknown>).sequencer : undefined;
    if (sequencer === undefined) continue;
    if (typeof sequencer !== 'string') refuse('invalid-evidence', 'state_channel.sequencer must be the did:key of a participant');
    const participants = Array.isArray(vc.subject.participants) ? (vc.subject.participants as unknown[]) : [];
    if (!participants.some((p) => p && typeof p === 'object' && (p as Record<string, unknown>).id === sequencer)) {
      refuse('invalid-evidence', `state_channel.sequencer ${sequencer} is not a participant of the agreement`);
    }
    named.add(sequencer);
  }
  if (named.size > 1) refuse('invalid-evidence', `the agreements name different sequencers: ${[...named].join(', ')}`);
}

const checkForkAlarm: EvidenceCheck = (credentials) => {
  const vc = exactlyOne(credentials, FORK_ALARM_CREDENTIAL);
  requireCredentialSchema(vc, 'vc.corridor-fork-alarm', FORK_ALARM_CREDENTIAL);
  const s = vc.subject as unknown as ForkPoint;
  const fork: ForkPoint = { sequence: s.sequence, prev_root: s.prev_root, next_root_a: s.next_root_a, next_root_b: s.next_root_b };
  if (fork.next_root_a === fork.next_root_b) {
    refuse('invalid-evidence', `${FORK_ALARM_CREDENTIAL} names the same next_root twice: identical receipts are duplicates, not a fork`);
  }
  return { fork };
};

/** A resolution resumes the corridor only if it resolves the fork that halted it, choosing one of its branches. */
const checkForkResolution: EvidenceCheck = (credentials, ctx) => {
  const vc = exactlyOne(credentials, FORK_RESOLUTION_CREDENTIAL);
  requireCredentialSchema(vc, 'vc.corridor-fork-resolution', FORK_RESOLUTION_CREDENTIAL);
  const s = vc.subject as unknown as ForkResolution;
  const resolution: ForkResolution = { sequence: s.sequence, prev_root: s.prev_root, chosen_next_root: s.chosen_next_root };
  const fork = ctx.state.open_fork;
  if (fork === null) refuse('invalid-evidence', `corridor ${ctx.corridorId} has no open fork for ${FORK_RESOLUTION_CREDENTIAL} to resolve`);
  if (resolution.sequence !== fork.sequence || resolution.prev_root !== fork.prev_root) {
    refuse(
      'invalid-evidence',
      `${FORK_RESOLUTION_CREDENTIAL} resolves the fork at sequence ${resolution.sequence} prev_root ${resolution.prev_root}, ` +
        `but the corridor was halted for the fork at sequence ${fork.sequence} prev_root ${fork.prev_root}`,
    );
  }
  if (resolution.chosen_next_root !== fork.next_root_a && resolution.chosen_next_root !== fork.next_root_b) {
    refuse('invalid-evidence', `${FORK_RESOLUTION_CREDENTIAL} chooses ${resolution.chosen_next_root}, which is neither branch of the fork`);
  }
  return { resolution };
};

/** Evidence types this node can check; the lifecycle file may require only these. */
export const EVIDENCE_CHECKS: Readonly<Record<string, EvidenceCheck>> = {
  [DEFINITION_CREDENTIAL]: checkDefinition,
  [AGREEMENT_CREDENTIAL]: checkAgreement,
  [FORK_ALARM_CREDENTIAL]: checkForkAlarm,
  [FORK_RESOLUTION_CREDENTIAL]: checkForkResolution,
};

/** Authorization roles this node can enforce. */
export const AUTHORIZATION_ROLES: readonly string[] = [ZONE_AUTHORITY];

/**
 * Verifies every evidence credential (≥1 valid proof, subject names this corridor), checks that their types cover
 * the rule's requirement, and runs each required type's own check. Returns the records and facts for the event.
 */
export function checkEvidence(evidence: unknown, ctx: EvidenceContext): { records: EvidenceRecord[]; facts: LifecycleFacts } {
  const { rule } = ctx;
  const transition = `${rule.kind} from ${rule.from}`;
  if (evidence !== undefined && !Array.isArray(evidence)) refuse('invalid-command', 'evidence must be a list of credentials');
  const given = (evidence ?? []) as unknown[];
  if (given.length === 0 && rule.requiresEvidenceTypes.length > 0) {
    refuse('evidence-missing', `${transition} requires evidence ${rule.requiresEvidenceTypes.join(', ')}; none was given`);
  }
  const verified = given.map((vc, i) => {
    const v = verifyCredential(vc, `evidence[${i}]`);
    requireSubjectCorridor(v, ctx.corridorId, `evidence[${i}]`);
    return v;
  });
  const present = new Set(verified.flatMap((v) => v.types));
  const missing = rule.requiresEvidenceTypes.filter((t) => !present.has(t));
  if (missing.length > 0) {
    refuse('evidence-missing', `${transition} requires evidence ${missing.join(', ')}; the evidence given has types ${[...present].join(', ') || 'none'}`);
  }
  let facts: LifecycleFacts = {};
  for (const type of rule.requiresEvidenceTypes) {
    const check = EVIDENCE_CHECKS[type];
    if (check === undefined) throw new Error(`no check for evidence type ${type}`);
    facts = { ...facts, ...check(verified.filter((v) => v.types.includes(type)), ctx) };
  }
  return { records: verified.map(evidenceRecord), facts };
}

/**
 * A lifecycle-transition credential for exactly this move (corridor, from, to), dated between the corridor's
 * entry into its current state and the command, signed by a trust anchor holding `role`. The date bound stops an
 * old authorization (say, a past suspension's) from being replayed for a later move between the same states.
 */
export function checkAuthorization(authorization: unknown, role: string, ctx: EvidenceContext): EvidenceRecord {
  const { rule } = ctx;
  const transition = `${rule.kind} from ${rule.from}`;
  if (authorization === undefined || authorization === null) {
    refuse('unauthorized', `${transition} must be authorized by a ${role}: no ${LIFECYCLE_TRANSITION_CREDENTIAL} was given`);
  }
  const vc = verifyCredential(authorization, 'authorization', 'unauthorized');
  if (!vc.types.includes(LIFECYCLE_TRANSITION_CREDENTIAL)) {
    refuse('unauthorized', `the authorization must be a ${LIFECYCLE_TRANSITION_CREDENTIAL}, got types ${vc.types.join(', ') || 'none'}`);
  }
  requireSubjectCorridor(vc, ctx.corridorId, 'the authorization', 'unauthorized');
  const { from_state: from, to_state: to, transitioned_at: dated } = vc.subject;
  if (from !== rule.from || to !== rule.to) {
    refuse('unauthorized', `the authorization is for ${String(from)} → ${String(to)}, not ${rule.from} → ${rule.to}`);
  }
  if (timestampMillis(dated) === null) {
    refuse('unauthorized', `the authorization's transitioned_at must be a UTC timestamp YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(dated ?? null)}`);
  }
  const since = ctx.state.since!;
  if (compareTimestamps(dated as string, since) < 0) {
    refuse('unauthorized', `the authorization is dated ${String(dated)}, before the corridor entered ${rule.from} at ${since}`);
  }
  if (compareTimestamps(dated as string, ctx.at) > 0) {
    refuse('unauthorized', `the authorization is dated ${String(dated)}, after the command time ${ctx.at}`);
  }
  const holders = ctx.state.trust_anchors.filter((a) => a.allowed_attestations.includes(role)).map((a) => a.did);
  if (!vc.signers.some((s) => holders.includes(s))) {
    refuse('unauthorized', `the authorization is signed by ${vc.signers.join(', ')}, none of whom is a ${role} of corridor ${ctx.corridorId} (${holders.join(', ')})`);
  }
  return evidenceRecord(vc);
}
