/** Schedule the hearing; evidence collection ends. */
export class ScheduleHearingCommand {
  constructor(
    readonly disputeId: string,
    readonly hearingAt: string,
  ) {}
}
