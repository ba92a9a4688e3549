/** Replace a zone's signing key for a corridor from a sequence of its state channel. */
export class RotateSignerKeyCommand {
  constructor(
    readonly corridorId: string,
    readonly evidence: unknown[],
  ) {}
}
