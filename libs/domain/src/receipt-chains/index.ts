export * from './chains';
