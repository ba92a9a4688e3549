/** Create a corridor in DRAFT with the trust anchors that will authorize its lifecycle. */
export class CreateCorridorCommand {
  constructor(
    readonly corridorId: string,
    readonly trustAnchors: unknown,
  ) {}
}
