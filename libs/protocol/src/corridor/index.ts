export * from './module';
export * from './agreement';
export * from './genesis';
export * from './transition-types';
export * from './lawpack';
