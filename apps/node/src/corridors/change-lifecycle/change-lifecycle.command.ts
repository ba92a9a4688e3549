import type { corridor } from '@corridor/domain';

/** Move a corridor along its governance lifecycle (submit, activate, halt, suspend, resume, deprecate). */
export class ChangeCorridorLifecycleCommand {
  constructor(
    readonly corridorId: string,
    /** `resume` picks resume_from_halt or resume_from_suspension by the corridor's current state. */
    readonly kind: corridor.LifecycleKind | 'resume',
    readonly evidence: unknown[] | undefined,
    readonly authorization: unknown,
  ) {}
}
