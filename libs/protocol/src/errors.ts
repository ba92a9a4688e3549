/**
 * Every protocol failure carries a stable machine-readable `code`. Callers map codes to RFC 9457
 * problem `type` URIs (see `problemTypeUri`), so the wording of `message` can improve without
 * breaking clients.
 */
export type ProtocolErrorCode =
  | 'invalid-json'
  | 'float-not-allowed'
  | 'invalid-string'
  | 'unsupported-value'
  | 'invalid-digest'
  | 'invalid-did-key'
  | 'invalid-request-signature'
  | 'invalid-key'
  | 'invalid-envelope'
  | 'invalid-receipt'
  | 'invalid-proof'
  | 'invalid-checkpoint'
  | 'invalid-credential'
  | 'invalid-module'
  | 'invalid-inclusion-proof'
  | 'invalid-fork-resolution'
  | 'invalid-attestation'
  | 'no-fork';

export const PROBLEM_BASE_URI = 'https://corridor-ledger.dev/problems/';

export function problemTypeUri(code: string): string {
  return PROBLEM_BASE_URI + code;
}

export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}
