/** The watcher gave a checkpoint attestation for a corridor in its bond's scope. */
export class RecordAttestationCommand {
  constructor(
    readonly watcherId: string,
    readonly corridorId: string,
    readonly attestationDigestSha256: string,
  ) {}
}
