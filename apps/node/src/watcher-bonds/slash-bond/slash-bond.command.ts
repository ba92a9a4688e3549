/** Slash the bond for a proven (equivocation) or adjudicated (other offences) misbehaviour. */
export class SlashBondCommand {
  constructor(
    readonly watcherId: string,
    readonly offence: string,
    readonly evidence: Record<string, unknown> | undefined,
  ) {}
}
