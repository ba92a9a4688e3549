import type { JsonObject } from '@corridor/protocol';
import type { Versioned } from '../shared/decider';

export interface TrustAnchorRecord {
  /** Base did:key. */
  did: string;
  allowed_attestations: string[];
}

/** Two validly signed receipts at the same (sequence, prev_root) with different next_roots. */
export interface ForkPoint {
  sequence: number;
  prev_root: string;
  next_root_a: string;
  next_root_b: string;
}

export interface ForkResolution {
  sequence: number;
  prev_root: string;
  chosen_next_root: string;
}

export interface ThresholdOutcome {
  role: string;
  required: number;
  of: number | null;
  participants: number;
  signed: number;
  satisfied: boolean;
}

/** What activation established, from the protocol's agreement summary. */
export interface AgreementFacts {
  agreement_set_sha256: string;
  signed_parties: string[];
  thresholds: ThresholdOutcome[];
  lawpack_digest_set: string[];
}

export interface DefinitionFacts {
  payload_sha256: string;
  credential: JsonObject;
}

export interface CorridorState extends Versioned {
  /** null until the corridor is created. */
  corridor_id: string | null;
  /** A state of the governance lifecycle file; null until created. */
  lifecycle: string | null;
  /** When the corridor entered its current lifecycle state. */
  since: string | null;
  /** Time of the last event. */
  updated_at: string | null;
  trust_anchors: TrustAnchorRecord[];
  definition: DefinitionFacts | null;
  agreement: AgreementFacts | null;
  /** The fork that halted the corridor, until a resolution for it resumes it. */
  open_fork: ForkPoint | null;
  /** Number of transitions recorded in the chain. */
  transitions_recorded: number;
  /** The highest state-channel head a quorum of bonded watchers attested, once one has. */
  watcher_quorum: WatcherQuorum | null;
  /** Signing keys replaced, in order (the previous key stays valid for what it signed before). */
  key_rotations: KeyRotation[];
}

export interface KeyRotation {
  previous_key: string;
  new_key: string;
  /** The first state-channel sequence the new key signs. */
  effective_from_sequence: number;
  /** The trust-anchor roles the new key took over. */
  roles: string[];
  reason: string;
}

/** A head of the state channel and the watchers whose attestations of it (or of a later head) made the quorum. */
export interface WatcherQuorum {
  receipt_count: number;
  final_state_root: string;
  mmr_root: string;
  required: number;
  watchers: string[];
  attestation_digests: string[];
}

export function initialCorridorState(): CorridorState {
  return {
    version: 0,
    corridor_id: null,
    lifecycle: null,
    since: null,
    updated_at: null,
    trust_anchors: [],
    definition: null,
    agreement: null,
    open_fork: null,
    transitions_recorded: 0,
    watcher_quorum: null,
    key_rotations: [],
  };
}
