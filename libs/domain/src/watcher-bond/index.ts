export * from './commands';
export * from './events';
export * from './state';
export * from './slashing';
export * from './evidence';
export { decideWatcherBond } from './decide';
export { evolveWatcherBond } from './evolve';
export { watcherBondDecider } from './decider';
