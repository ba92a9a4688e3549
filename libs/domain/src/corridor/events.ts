import type { TransitionEnvelope } from '@corridor/protocol';
import type { DomainEvent } from '../shared/decider';
import type { EvidenceRecord } from '../shared/credentials';
import type { LifecycleKind } from './commands';
import type { AgreementFacts, ForkPoint, ForkResolution, KeyRotation, TrustAnchorRecord, WatcherQuorum } from './state';

/** Stable event names of the corridor aggregate (they are hashed into receipts: never rename one). */
export const CORRIDOR_EVENT_TYPES = {
  created: 'corridor.created.v1',
  submitted: 'corridor.submitted.v1',
  activated: 'corridor.activated.v1',
  halted: 'corridor.halted.v1',
  suspended: 'corridor.suspended.v1',
  resumedFromHalt: 'corridor.resumed-from-halt.v1',
  resumedFromSuspension: 'corridor.resumed-from-suspension.v1',
  deprecated: 'corridor.deprecated.v1',
  transitionRecorded: 'corridor.transition-recorded.v1',
  watcherQuorumReached: 'corridor.watcher-quorum-reached.v1',
  signerKeyRotated: 'corridor.signer-key-rotated.v1',
} as const;

/** The event each lifecycle kind emits. */
export const LIFECYCLE_EVENT_TYPE = {
  submit: CORRIDOR_EVENT_TYPES.submitted,
  activate: CORRIDOR_EVENT_TYPES.activated,
  halt: CORRIDOR_EVENT_TYPES.halted,
  suspend: CORRIDOR_EVENT_TYPES.suspended,
  resume_from_halt: CORRIDOR_EVENT_TYPES.resumedFromHalt,
  resume_from_suspension: CORRIDOR_EVENT_TYPES.resumedFromSuspension,
  deprecate: CORRIDOR_EVENT_TYPES.deprecated,
} as const satisfies Record<LifecycleKind, string>;

export interface CorridorCreatedData {
  corridor_id: string;
  at: string;
  /** The lifecycle's initial state. */
  state: string;
  trust_anchors: TrustAnchorRecord[];
}

/** What the evidence established, by kind of evidence; only the facts the transition's evidence yields are present. */
export interface LifecycleFacts {
  definition_payload_sha256?: string;
  agreement?: AgreementFacts;
  fork?: ForkPoint;
  resolution?: ForkResolution;
}

export interface LifecycleTransitionData {
  corridor_id: string;
  at: string;
  transition: LifecycleKind;
  from_state: string;
  to_state: string;
  evidence: EvidenceRecord[];
  authorization: EvidenceRecord | null;
  facts: LifecycleFacts;
}

export interface TransitionRecordedData {
  corridor_id: string;
  at: string;
  /** 1 for the first transition recorded in this corridor. */
  ordinal: number;
  transition: TransitionEnvelope;
}

/** A quorum of bonded watchers attested this head of the state channel (its finality is `watcher_quorum`). */
export interface WatcherQuorumReachedData {
  corridor_id: string;
  at: string;
  quorum: WatcherQuorum;
}

/** A zone's signing key replaced from a sequence of the state channel. */
export interface SignerKeyRotatedData {
  corridor_id: string;
  at: string;
  rotation: KeyRotation;
  evidence: EvidenceRecord[];
}

type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPE)[LifecycleKind];

export type CorridorCreated = DomainEvent<typeof CORRIDOR_EVENT_TYPES.created, CorridorCreatedData>;
export type CorridorLifecycleEvent = { [T in LifecycleEventType]: DomainEvent<T, LifecycleTransitionData> }[LifecycleEventType];
export type CorridorTransitionRecorded = DomainEvent<typeof CORRIDOR_EVENT_TYPES.transitionRecorded, TransitionRecordedData>;
export type CorridorWatcherQuorumReached = DomainEvent<typeof CORRIDOR_EVENT_TYPES.watcherQuorumReached, WatcherQuorumReachedData>;
export type CorridorSignerKeyRotated = DomainEvent<typeof CORRIDOR_EVENT_TYPES.signerKeyRotated, SignerKeyRotatedData>;
export type CorridorEvent = CorridorCreated | CorridorLifecycleEvent | CorridorTransitionRecorded | CorridorWatcherQuorumReached | CorridorSignerKeyRotated;
