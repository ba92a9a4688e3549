/** Start unbonding: the bond can be withdrawn once its unlock period (governance) has passed. */
export class StartUnbondingCommand {
  constructor(readonly watcherId: string) {}
}
