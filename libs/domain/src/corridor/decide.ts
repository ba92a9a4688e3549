import { ProtocolError, makeTransitionEnvelope, type JsonValue, type TransitionEnvelope } from '@corridor/protocol';
import { refuse } from '../shared/domain-error';
import { requireSameId, requireText } from '../shared/fields';
import { requireCommandTime } from '../shared/time';
import { LIFECYCLE_COMMAND_KINDS, isLifecycleCommand, type CorridorCommand, type LifecycleCommand, type RecordCorridorTransition, type RecordWatcherQuorum, type RotateSignerKey } from './commands';
import { CORRIDOR_EVENT_TYPES, LIFECYCLE_EVENT_TYPE, type CorridorEvent } from './events';
import { checkAuthorization, checkEvidence } from './evidence';
import { checkKeyRotation, KEY_ROTATION_CREDENTIAL } from './key-rotation';
import type { LifecycleTable } from './lifecycle';
import type { CorridorState, WatcherQuorum } from './state';
import { readTrustAnchors } from './trust-anchors';
import type { TransitionKindRegistry } from './transition-kinds';

export interface CorridorRules {
  readonly lifecycle: LifecycleTable;
  readonly transitionKinds: TransitionKindRegistry;
}

export function decideCorridor(command: CorridorCommand, state: CorridorState, rules: CorridorRules): CorridorEvent[] {
  const at = requireCommandTime(command.at, state.updated_at);
  if (command.type === 'CreateCorridor') {
    if (state.corridor_id !== null) refuse('already-exists', `corridor ${state.corridor_id} already exists (${state.lifecycle})`);
    const corridor_id = requireText(command.data?.corridor_id, 'corridor_id');
    const trust_anchors = readTrustAnchors(command.data.trust_anchors);
    return [{ type: CORRIDOR_EVENT_TYPES.created, data: { corridor_id, at, state: rules.lifecycle.initialState, trust_anchors } }];
  }
  const corridorId = state.corridor_id;
  if (corridorId === null) refuse('not-found', `the corridor does not exist yet; ${command.type} needs CreateCorridor first`);
  requireSameId(command.data?.corridor_id, corridorId, 'corridor_id');
  if (isLifecycleCommand(command)) return decideLifecycle(command, state, corridorId, at, rules.lifecycle);
  if (command.type === 'RecordCorridorTransition') return decideRecordTransition(command, state, corridorId, at, rules);
  if (command.type === 'RecordWatcherQuorum') return decideWatcherQuorum(command, state, corridorId, at);
  if (command.type === 'RotateSignerKey') return decideKeyRotation(command, state, corridorId, at);
  return refuse('invalid-command', `unknown corridor command ${JSON.stringify((command as { type: unknown }).type)}`);
}

function decideLifecycle(command: LifecycleCommand, state: CorridorState, corridorId: string, at: string, lifecycle: LifecycleTable): CorridorEvent[] {
  const kind = LIFECYCLE_COMMAND_KINDS[command.type];
  const current = state.lifecycle!;
  const rule = lifecycle.ruleFor(current, kind);
  if (rule === undefined) {
    const from = lifecycle.fromStatesOf(kind);
    const terminal = lifecycle.terminalStates.includes(current) ? `; ${current} is terminal` : '';
    refuse('transition-not-allowed', `corridor ${corridorId} is ${current}; ${kind} is allowed only from ${from.join(', ')}${terminal}`);
  }
  const ctx = { state, corridorId, at, rule };
  const { records, facts } = checkEvidence(command.data.evidence, ctx);
  const authorization = rule.authorization === null ? null : checkAuthorization(command.data.authorization, rule.authorization, ctx);
  return [
    {
      type: LIFECYCLE_EVENT_TYPE[kind],
      data: { corridor_id: corridorId, at, transition: kind, from_state: rule.from, to_state: rule.to, evidence: records, authorization, facts },
    },
  ];
}

function decideRecordTransition(
  command: RecordCorridorTransition,
  state: CorridorState,
  corridorId: string,
  at: string,
  rules: CorridorRules,
): CorridorEvent[] {
  const current = state.lifecycle!;
  if (!rules.lifecycle.acceptsTransitionsIn.includes(current)) {
    refuse('corridor-not-active', `corridor ${corridorId} is ${current}; transitions are accepted only in ${rules.lifecycle.acceptsTransitionsIn.join(', ')}`);
  }
  let envelope: TransitionEnvelope;
  try {
    envelope = makeTransitionEnvelope(command.data.transition as JsonValue);
  } catch (e) {
    if (e instanceof ProtocolError) refuse('invalid-transition', e.message);
    throw e;
  }
  if (rules.transitionKinds.find(envelope.kind) === undefined) {
    refuse('unknown-transition-kind', `transition kind ${JSON.stringify(envelope.kind)} is not in the transition-kind registry (${rules.transitionKinds.entries.map((e) => e.match).join(', ')})`);
  }
  return [
    {
      type: CORRIDOR_EVENT_TYPES.transitionRecorded,
      data: { corridor_id: corridorId, at, ordinal: state.transitions_recorded + 1, transition: envelope },
    },
  ];
}

const HEX64 = /^[0-9a-f]{64}$/;

function decideWatcherQuorum(command: RecordWatcherQuorum, state: CorridorState, corridorId: string, at: string): CorridorEvent[] {
  if (state.agreement === null) refuse('corridor-not-active', `corridor ${corridorId} has no state channel yet (${state.lifecycle}); watchers attest its heads once it is active`);
  const q = command.data.quorum as Partial<WatcherQuorum> | undefined;
  if (!q || typeof q !== 'object') refuse('invalid-command', 'quorum must be an object');
  const count = q.receipt_count;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1) refuse('invalid-command', 'quorum.receipt_count must be a positive integer');
  for (const f of ['final_state_root', 'mmr_root'] as const) if (typeof q[f] !== 'string' || !HEX64.test(q[f])) refuse('invalid-command', `quorum.${f} must be 64 lowercase hex`);
  const required = q.required;
  if (typeof required !== 'number' || !Number.isSafeInteger(required) || required < 1) refuse('invalid-command', 'quorum.required must be a positive integer');
  const watchers = q.watchers;
  const digests = q.attestation_digests;
  if (!Array.isArray(watchers) || !watchers.every((w) => typeof w === 'string' && w.startsWith('did:key:')) || new Set(watchers).size !== watchers.length) {
    refuse('invalid-command', 'quorum.watchers must be distinct did:keys');
  }
  if (watchers.length < required) refuse('invalid-command', `a quorum needs ${required} watchers, ${watchers.length} were given`);
  if (!Array.isArray(digests) || digests.length !== watchers.length || !digests.every((d) => typeof d === 'string' && HEX64.test(d))) {
    refuse('invalid-command', 'quorum.attestation_digests must hold one SHA-256 per watcher');
  }
  const previous = state.watcher_quorum;
  if (previous && previous.receipt_count >= count) {
    refuse('stale-quorum', `corridor ${corridorId} already reached watcher quorum at ${previous.receipt_count} receipts; finality only moves forward`);
  }
  const quorum: WatcherQuorum = { receipt_count: count, final_state_root: q.final_state_root!, mmr_root: q.mmr_root!, required, watchers: [...watchers], attestation_digests: [...digests] };
  return [{ type: CORRIDOR_EVENT_TYPES.watcherQuorumReached, data: { corridor_id: corridorId, at, quorum } }];
}

function decideKeyRotation(command: RotateSignerKey, state: CorridorState, corridorId: string, at: string): CorridorEvent[] {
  if (state.agreement === null) refuse('corridor-not-active', `corridor ${corridorId} is ${state.lifecycle}: keys are rotated once the corridor is active`);
  if (state.lifecycle === 'DEPRECATED') refuse('transition-not-allowed', `corridor ${corridorId} is DEPRECATED`);
  const evidence = command.data.evidence;
  if (!Array.isArray(evidence) || evidence.length !== 1) refuse('evidence-missing', `a key rotation needs exactly one ${KEY_ROTATION_CREDENTIAL} as evidence`);
  const { rotation, evidence: record } = checkKeyRotation(evidence[0], state, corridorId, state.transitions_recorded);
  return [{ type: CORRIDOR_EVENT_TYPES.signerKeyRotated, data: { corridor_id: corridorId, at, rotation, evidence: [record] } }];
}
