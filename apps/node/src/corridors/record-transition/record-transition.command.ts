/** Record a transition (trade, settlement, compliance attestation, …) in an ACTIVE corridor's state channel. */
export class RecordCorridorTransitionCommand {
  constructor(
    readonly corridorId: string,
    readonly transition: Record<string, unknown>,
  ) {}
}
