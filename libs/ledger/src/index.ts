export * from './port/event-store.port';
export * from './port/errors';
export * from './port/event-id';
export * from './sqlite/sqlite-event-store';
export * from './esdb/esdb-event-store';
export * from './subscriptions/catch-up-subscription';
export * from './subscriptions/sqlite-checkpoints';
export * from './chain';
