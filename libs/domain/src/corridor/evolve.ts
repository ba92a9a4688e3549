import { evolveWith } from '../shared/decider';
import type { CorridorEvent, CorridorLifecycleEvent } from './events';
import type { CorridorState } from './state';

/** Every lifecycle event moves to its `to_state` and keeps what its evidence established. */
function applyLifecycle(state: CorridorState, event: CorridorLifecycleEvent): CorridorState {
  const { at, to_state, facts, evidence } = event.data;
  const next: CorridorState = { ...state, lifecycle: to_state, since: at, updated_at: at };
  if (facts.definition_payload_sha256 !== undefined) {
    const record = evidence.find((e) => e.digest_sha256 === facts.definition_payload_sha256)!;
    next.definition = { payload_sha256: facts.definition_payload_sha256, credential: record.credential };
  }
  if (facts.agreement !== undefined) next.agreement = facts.agreement;
  if (facts.fork !== undefined) next.open_fork = facts.fork;
  if (facts.resolution !== undefined) next.open_fork = null;
  return next;
}

export const evolveCorridor = evolveWith<CorridorState, CorridorEvent>('corridor', {
  'corridor.created.v1': (state, { data }) => ({
    ...state,
    corridor_id: data.corridor_id,
    lifecycle: data.state,
    since: data.at,
    updated_at: data.at,
    trust_anchors: data.trust_anchors,
  }),
  'corridor.submitted.v1': applyLifecycle,
  'corridor.activated.v1': applyLifecycle,
  'corridor.halted.v1': applyLifecycle,
  'corridor.suspended.v1': applyLifecycle,
  'corridor.resumed-from-halt.v1': applyLifecycle,
  'corridor.resumed-from-suspension.v1': applyLifecycle,
  'corridor.deprecated.v1': applyLifecycle,
  'corridor.signer-key-rotated.v1': (state, { data }) => ({
    ...state,
    updated_at: data.at,
    key_rotations: [...state.key_rotations, data.rotation],
    // The new key takes over the previous key's roles (authorizations); the previous key is no longer an anchor.
    trust_anchors: state.trust_anchors.map((a) => (a.did === data.rotation.previous_key ? { did: data.rotation.new_key, allowed_attestations: [...data.rotation.roles] } : a)),
  }),
  'corridor.watcher-quorum-reached.v1': (state, { data }) => ({ ...state, updated_at: data.at, watcher_quorum: data.quorum }),
  'corridor.transition-recorded.v1': (state, { data }) => ({
    ...state,
    updated_at: data.at,
    transitions_recorded: data.ordinal,
  }),
});
