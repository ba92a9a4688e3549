import { availableParallelism } from 'node:os';
import type { Provider } from '@nestjs/common';
import { EsdbEventStore, EVENT_STORE, ReceiptChainWriter, SqliteEventStore, type EventStore } from '@corridor/ledger';
import type { Ed25519KeyPair } from '@corridor/protocol';
import type { NodeConfig } from '../config/node-config';
import { IdempotencyStore } from '../idempotency/idempotency.store';
import { LedgerLifecycle } from './ledger-lifecycle';
import { PeeringStore } from '../peering/peering.store';
import { CHAIN_WRITER, IDEMPOTENCY_STORE, NODE_CONFIG, NODE_KEY, PEERING_STORE } from './tokens';

/** The node's ports bound to their adapters: SQLite by default, EventStoreDB when configured. */
export function ledgerProviders(config: NodeConfig, key: Ed25519KeyPair): Provider[] {
  return [
    { provide: NODE_CONFIG, useValue: config },
    { provide: NODE_KEY, useValue: key },
    {
      provide: EVENT_STORE,
      useFactory: (): EventStore =>
        config.eventStore === 'eventstoredb'
          ? EsdbEventStore.connect(config.eventStoreUrl!)
          : SqliteEventStore.open({ path: config.eventStoreFile, durability: config.sqliteDurability, writerThread: useWriterThread(config.sqliteWriter) }),
    },
    { provide: CHAIN_WRITER, useFactory: (store: EventStore) => new ReceiptChainWriter(store, key, { signingWorkers: config.signingWorkers }), inject: [EVENT_STORE] },
    { provide: IDEMPOTENCY_STORE, useFactory: () => new IdempotencyStore(config.nodeStateFile) },
    { provide: PEERING_STORE, useFactory: () => new PeeringStore(config.peeringFile) },
    LedgerLifecycle,
  ];
}

/** `auto`: a writer thread only pays where it does not take a core from the event loop (more than two cores). */
export function useWriterThread(choice: NodeConfig['sqliteWriter'], cores = availableParallelism()): boolean {
  return choice === 'thread' || (choice === 'auto' && cores > 2);
}
