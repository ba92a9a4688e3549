import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { CorridorsModule } from '../corridors/corridors.module';
import { CorridorFacts } from './corridor-facts';
import { CorridorTransitionProcessManager } from './corridor-transition.process-manager';

/**
 * The links between a corridor and the aggregates bound to it: the corridor facts saga and dispute commands are
 * filled with, and the process manager recording their steps and enforcements in the corridor's state channel.
 */
@Module({
  imports: [CqrsModule, CorridorsModule],
  providers: [CorridorFacts, CorridorTransitionProcessManager],
  exports: [CorridorFacts],
})
export class ProcessManagersModule {}
