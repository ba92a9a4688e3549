export * from './transport/peer-message';
