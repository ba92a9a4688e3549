import { Global, Module } from '@nestjs/common';
import { CorridorAggregate } from '../corridors/corridor-aggregate';
import { PeerCatchUp } from './peer-catch-up';
import { peerTransportProvider } from './peer-transport.provider';
import { PeeringController } from './peering.controller';
import { PeeringLedger } from './peering-ledger';
import { PeeringService } from './peering.service';

/**
 * Peering between jurisdiction nodes over shared corridors (spec/peering.md). Global: the corridor use cases consult
 * it. It keeps its own CorridorAggregate (a stateless definition) so that it does not import the corridor module.
 */
@Global()
@Module({
  controllers: [PeeringController],
  providers: [CorridorAggregate, peerTransportProvider, PeeringService, PeeringLedger, PeerCatchUp],
  exports: [PeeringService],
})
export class PeeringModule {}
