import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { PostBondController } from './post-bond/post-bond.controller';
import { PostBondHandler } from './post-bond/post-bond.handler';
import { GetWatcherBondHandler } from './queries/get-watcher-bond.handler';
import { WatcherBondQueriesController } from './queries/watcher-bond-queries.controller';
import { RecordAttestationController } from './record-attestation/record-attestation.controller';
import { RecordAttestationHandler } from './record-attestation/record-attestation.handler';
import { SlashBondController } from './slash-bond/slash-bond.controller';
import { SlashBondHandler } from './slash-bond/slash-bond.handler';
import { StartUnbondingController } from './start-unbonding/start-unbonding.controller';
import { StartUnbondingHandler } from './start-unbonding/start-unbonding.handler';
import { TopUpBondController } from './top-up-bond/top-up-bond.controller';
import { TopUpBondHandler } from './top-up-bond/top-up-bond.handler';
import { WatcherBondAggregate } from './watcher-bond-aggregate';
import { WatcherBondCommands } from './watcher-bond-commands';
import { WithdrawBondController } from './withdraw-bond/withdraw-bond.controller';
import { WithdrawBondHandler } from './withdraw-bond/withdraw-bond.handler';

/** Watcher bond use cases: post, attest, slash, top up, unbond, withdraw, and reads of the bond chain. */
@Module({
  imports: [CqrsModule],
  controllers: [PostBondController, RecordAttestationController, SlashBondController, TopUpBondController, StartUnbondingController, WithdrawBondController, WatcherBondQueriesController],
  providers: [
    WatcherBondAggregate,
    WatcherBondCommands,
    PostBondHandler,
    RecordAttestationHandler,
    SlashBondHandler,
    TopUpBondHandler,
    StartUnbondingHandler,
    WithdrawBondHandler,
    GetWatcherBondHandler,
  ],
  exports: [WatcherBondAggregate],
})
export class WatcherBondsModule {}
