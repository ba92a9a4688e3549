/** The forward phases of an asset migration, in order (the specification's; not configurable). */
export const FORWARD_PHASES = [
  'initiated',
  'compliance_check',
  'attestation_gathering',
  'source_lock',
  'transit',
  'destination_verification',
  'destination_unlock',
] as const;
export type ForwardPhase = (typeof FORWARD_PHASES)[number];

/** Cancellation is possible only before the asset leaves the source. */
export const CANCELLABLE_PHASES: readonly ForwardPhase[] = ['initiated', 'compliance_check', 'attestation_gathering', 'source_lock'];

/** Phases after the forward ones: undoing, stuck waiting for an operator, and the three terminal outcomes. */
export type SagaPhase = ForwardPhase | 'compensating' | 'compensation_failed' | 'completed' | 'compensated' | 'cancelled';
export const TERMINAL_PHASES: readonly SagaPhase[] = ['completed', 'compensated', 'cancelled'];

export function isForwardPhase(phase: unknown): phase is ForwardPhase {
  return typeof phase === 'string' && (FORWARD_PHASES as readonly string[]).includes(phase);
}

/** The phase after `phase`; `completed` after the last forward phase. */
export function nextPhase(phase: ForwardPhase): ForwardPhase | 'completed' {
  const i = FORWARD_PHASES.indexOf(phase);
  return i === FORWARD_PHASES.length - 1 ? 'completed' : FORWARD_PHASES[i + 1]!;
}
