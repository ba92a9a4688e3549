export const ATTESTATION_STORE = Symbol.for('corridor-ledger.AttestationStore');
