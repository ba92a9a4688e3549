/** DI tokens of the security module. */
export const RATE_LIMITER = Symbol.for('corridor-ledger.RateLimiter');
export const NONCE_CACHE = Symbol.for('corridor-ledger.NonceCache');
export const ACCESS_MATRIX = Symbol.for('corridor-ledger.AccessMatrix');
