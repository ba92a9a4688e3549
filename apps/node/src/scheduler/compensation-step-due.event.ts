/**
 * Published when a saga's next compensation step is due (first attempt, or a retry whose time has come). The
 * step's effect lives outside the ledger (fee holds, locks, attestations); whoever runs it reports the outcome
 * with POST /migrations/{id}/compensation/complete-step or …/fail-step.
 */
export class CompensationStepDue {
  constructor(
    readonly migrationId: string,
    readonly step: string,
    readonly attempt: number,
  ) {}
}
