import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { NodeConfig } from '../config/node-config';
import { CorridorAggregate } from '../corridors/corridor-aggregate';
import { NODE_CONFIG } from '../infrastructure/tokens';
import { ProjectionsModule } from '../projections/projections.module';
import { WatcherBondAggregate } from '../watcher-bonds/watcher-bond-aggregate';
import { AttestationStore } from './attestation.store';
import { HeadNotifier } from './receipt-stream/head-notifier';
import { ReceiptStreamController } from './receipt-stream/receipt-stream.controller';
import { SubmitAttestationController } from './submit-attestation/submit-attestation.controller';
import { SubmitAttestationHandler } from './submit-attestation/submit-attestation.handler';
import { ATTESTATION_STORE } from './tokens';
import { WatcherAttestations } from './watcher-attestations';

/** What watchers use on a node: the receipt stream and attestations towards watcher quorum (spec/watchers.md). */
@Module({
  imports: [CqrsModule, ProjectionsModule],
  controllers: [ReceiptStreamController, SubmitAttestationController],
  providers: [
    CorridorAggregate,
    WatcherBondAggregate,
    HeadNotifier,
    WatcherAttestations,
    SubmitAttestationHandler,
    {
      provide: ATTESTATION_STORE,
      inject: [NODE_CONFIG],
      useFactory: (config: NodeConfig) => new AttestationStore(config.watchersFile),
    },
  ],
})
export class WatchersModule {}
