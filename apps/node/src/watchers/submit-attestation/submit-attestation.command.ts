import type { JsonObject } from '@corridor/protocol';

/** A watcher's attestation of a head of a corridor's state channel. */
export class SubmitAttestationCommand {
  constructor(
    readonly corridorId: string,
    readonly attestation: JsonObject,
  ) {}
}
