export * from './phases';
export * from './commands';
export * from './events';
export * from './state';
export * from './policy';
export * from './scheduler';
export { decideMigrationSaga } from './decide';
export { evolveMigrationSaga } from './evolve';
export { migrationSagaDecider } from './decider';
