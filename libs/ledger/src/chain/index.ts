export * from './chain-profile';
export * from './mmr-metadata';
export * from './receipt-chain-writer';
export * from './received-receipts';
