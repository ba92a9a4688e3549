import { Global, Module, type DynamicModule } from '@nestjs/common';
import { EVENT_STORE } from '@corridor/ledger';
import type { Ed25519KeyPair } from '@corridor/protocol';
import { AggregateStore } from '../aggregates/aggregate-store';
import { Clock } from '../aggregates/clock';
import { ChainReader } from '../chains/chain-reader';
import type { NodeConfig } from '../config/node-config';
import { ledgerProviders } from './ledger.providers';
import { CHAIN_WRITER, IDEMPOTENCY_STORE, NODE_CONFIG, NODE_KEY, PEERING_STORE } from './tokens';

/** The ledger ports and the shared command/read path, available to every feature module. */
@Global()
@Module({})
export class LedgerModule {
  static register(config: NodeConfig, key: Ed25519KeyPair): DynamicModule {
    const exported = [NODE_CONFIG, NODE_KEY, EVENT_STORE, CHAIN_WRITER, IDEMPOTENCY_STORE, PEERING_STORE, AggregateStore, ChainReader, Clock];
    return {
      module: LedgerModule,
      providers: [...ledgerProviders(config, key), AggregateStore, ChainReader, Clock],
      exports: exported,
    };
  }
}
