/** Enforce the ruling once its appeal period is over; the node records the enforcement in the corridor. */
export class EnforceRulingCommand {
  constructor(readonly disputeId: string) {}
}
