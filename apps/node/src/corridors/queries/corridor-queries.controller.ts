import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChainReader } from '../../chains/chain-reader';
import { ConsistencyQuery, ReceiptPageQuery, SizeQuery } from '../../chains/chain-query.dto';
import { SequencePipe } from '../../http/sequence.pipe';
import { lifecycleStream, stateChannelStream } from '../corridor-aggregate';
import { GetCorridorQuery } from './get-corridor.query';

/**
 * Reads of a corridor and its two chains. `…/receipts` is the state channel (the reference's chain, the one
 * peers, watchers and auditors verify); `…/lifecycle/…` is the lifecycle chain.
 */
@ApiTags('corridors')
@Controller('corridors/:id')
export class CorridorQueriesController {
  constructor(
    private readonly queries: QueryBus,
    private readonly chains: ChainReader,
  ) {}

  @Get()
  @ApiOperation({ summary: "The corridor's lifecycle state, trust anchors and chain heads" })
  corridor(@Param('id') id: string) {
    return this.queries.execute(new GetCorridorQuery(id));
  }

  @Get('receipts')
  @ApiOperation({ summary: 'State-channel receipts after a sequence (HTTP catch-up for peers and watchers)' })
  receipts(@Param('id') id: string, @Query() q: ReceiptPageQuery) {
    return this.chains.receipts(stateChannelStream(id), q.after ?? -1, q.limit ?? 100);
  }

  @Get('receipts/:sequence')
  @ApiOperation({ summary: 'One state-channel receipt' })
  receipt(@Param('id') id: string, @Param('sequence', SequencePipe) sequence: number) {
    return this.chains.receipt(stateChannelStream(id), sequence);
  }

  @Get('receipts/:sequence/proof')
  @ApiOperation({ summary: "Inclusion proof of a receipt in the state channel's MMR (reference shape; verify with `corridor mmr verify`)" })
  proof(@Param('id') id: string, @Param('sequence', SequencePipe) sequence: number, @Query() q: SizeQuery) {
    return this.chains.inclusionProof(stateChannelStream(id), sequence, q.size);
  }

  @Get('checkpoint')
  @ApiOperation({ summary: 'The latest checkpoint of the state channel, signed by this node' })
  checkpoint(@Param('id') id: string) {
    return this.chains.checkpoint(stateChannelStream(id));
  }

  @Get('checkpoints/:size')
  @ApiOperation({ summary: 'The checkpoint of the first SIZE receipts (any height), signed by this node' })
  checkpointAt(@Param('id') id: string, @Param('size', SequencePipe) size: number) {
    return this.chains.checkpoint(stateChannelStream(id), size);
  }

  @Get('consistency')
  @ApiOperation({ summary: 'MMR consistency proof between two heights of the state channel' })
  consistency(@Param('id') id: string, @Query() q: ConsistencyQuery) {
    return this.chains.consistencyProof(stateChannelStream(id), q.from, q.to);
  }

  @Get('lifecycle/receipts')
  @ApiOperation({ summary: 'Lifecycle-chain receipts after a sequence' })
  lifecycleReceipts(@Param('id') id: string, @Query() q: ReceiptPageQuery) {
    return this.chains.receipts(lifecycleStream(id), q.after ?? -1, q.limit ?? 100);
  }

  @Get('lifecycle/checkpoint')
  @ApiOperation({ summary: 'The latest checkpoint of the lifecycle chain' })
  lifecycleCheckpoint(@Param('id') id: string) {
    return this.chains.checkpoint(lifecycleStream(id));
  }
}
