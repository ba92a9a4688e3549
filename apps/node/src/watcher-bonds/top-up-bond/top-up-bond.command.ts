/** Add collateral to the bond; reactivates an exhausted (SLASHED) bond. */
export class TopUpBondCommand {
  constructor(
    readonly watcherId: string,
    readonly amount: string,
  ) {}
}
