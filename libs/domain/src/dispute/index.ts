export * from './status';
export * from './commands';
export * from './events';
export * from './state';
export * from './evidence';
export { decideDispute } from './decide';
export { evolveDispute } from './evolve';
export { disputeDecider } from './decider';
