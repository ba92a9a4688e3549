/** A watcher posts a bond covering some corridors, so it may attest their heads. */
export class PostBondCommand {
  constructor(
    readonly watcherId: string,
    readonly bondId: string,
    readonly amount: string,
    readonly currency: string,
    readonly corridorIds: string[],
  ) {}
}
