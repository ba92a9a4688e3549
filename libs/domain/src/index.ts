/**
 * The aggregates of a corridor ledger node as pure deciders: corridor, migration saga, watcher bond, dispute.
 * Specification: spec/domain.md; receipt chains of the non-corridor aggregates: spec/receipt-chains.md.
 */
export * from './shared/decider';
export * from './shared/domain-error';
export * from './shared/decimal';
export * from './shared/time';
export * from './shared/credentials';
export * as corridor from './corridor';
