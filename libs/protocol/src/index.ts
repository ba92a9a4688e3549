/**
 * The corridor protocol, pure: no NestJS, no I/O. Byte-compatible with the MSEZ reference implementation.
 */
export * from './errors';
export * from './json/json-value';
export * from './json/json-text';
export * from './json/canonical';
export * from './digest';
export * from './keys/did-key';
export * from './keys/ed25519';
export * from './proofs/proof';
export * from './receipts/transition-envelope';
export * from './receipts/receipt';
export * from './receipts/commitments';
export * from './mmr';
export * from './schemas/validate';
export * from './corridor';
export * from './chain';
export * from './watchers';
export * from './auth/request-signature';
