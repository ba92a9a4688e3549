/** Withdraw what remains of an UNBONDING bond, at or after its unlock time. */
export class WithdrawBondCommand {
  constructor(readonly watcherId: string) {}
}
