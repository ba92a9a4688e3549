/** Test support for deciders: given/when/then and deterministic signed credentials. Not used in production code. */
export * from './given-when-then';
export * from './keys';
