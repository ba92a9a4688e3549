/**
 * The aggregates of a corridor ledger node as pure deciders — corridor, migration saga, watcher bond, dispute —
 * with their one event registry and the receipt chains of the non-corridor aggregates.
 * Specification: spec/domain.md and spec/receipt-chains.md.
 */
export * from './shared/decider';
export * from './shared/domain-error';
export * from './shared/decimal';
export * from './shared/time';
export * from './shared/credentials';
export * from './event-registry';
export * from './receipt-chains';
export * as corridor from './corridor';
export * as migrationSaga from './migration-saga';
export * as watcherBond from './watcher-bond';
export * as dispute from './dispute';
export { corridorDecider } from './corridor';
export { migrationSagaDecider, nextSchedulerInstruction } from './migration-saga';
export { watcherBondDecider } from './watcher-bond';
export { disputeDecider } from './dispute';
