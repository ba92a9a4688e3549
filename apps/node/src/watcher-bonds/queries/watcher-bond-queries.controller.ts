import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChainReader } from '../../chains/chain-reader';
import { ConsistencyQuery, ReceiptPageQuery, SizeQuery } from '../../chains/chain-query.dto';
import { SequencePipe } from '../../http/sequence.pipe';
import { watcherBondStream } from '../watcher-bond-aggregate';
import { GetWatcherBondQuery } from './get-watcher-bond.query';

/** Reads of a watcher's bond account and its receipt chain (`MSEZWatcherBondReceipt`). */
@ApiTags('watcher bonds')
@Controller('watcher-bonds/:watcherId')
export class WatcherBondQueriesController {
  constructor(
    private readonly queries: QueryBus,
    private readonly chains: ChainReader,
  ) {}

  @Get()
  @ApiOperation({ summary: "The watcher's bond status, current bond, slashed incidents, ban and chain head" })
  bond(@Param('watcherId') watcherId: string) {
    return this.queries.execute(new GetWatcherBondQuery(watcherId));
  }

  @Get('receipts')
  @ApiOperation({ summary: 'Bond receipts after a sequence' })
  receipts(@Param('watcherId') watcherId: string, @Query() q: ReceiptPageQuery) {
    return this.chains.receipts(watcherBondStream(watcherId), q.after ?? -1, q.limit ?? 100);
  }

  @Get('receipts/:sequence')
  @ApiOperation({ summary: 'One bond receipt' })
  receipt(@Param('watcherId') watcherId: string, @Param('sequence', SequencePipe) sequence: number) {
    return this.chains.receipt(watcherBondStream(watcherId), sequence);
  }

  @Get('receipts/:sequence/proof')
  @ApiOperation({ summary: "Inclusion proof of a receipt in the bond chain's MMR" })
  proof(@Param('watcherId') watcherId: string, @Param('sequence', SequencePipe) sequence: number, @Query() q: SizeQuery) {
    return this.chains.inclusionProof(watcherBondStream(watcherId), sequence, q.size);
  }

  @Get('checkpoint')
  @ApiOperation({ summary: 'The latest checkpoint of the bond chain, signed by this node' })
  checkpoint(@Param('watcherId') watcherId: string) {
    return this.chains.checkpoint(watcherBondStream(watcherId));
  }

  @Get('checkpoints/:size')
  @ApiOperation({ summary: 'The checkpoint of the first SIZE bond receipts, signed by this node' })
  checkpointAt(@Param('watcherId') watcherId: string, @Param('size', SequencePipe) size: number) {
    return this.chains.checkpoint(watcherBondStream(watcherId), size);
  }

  @Get('consistency')
  @ApiOperation({ summary: 'MMR consistency proof between two heights of the bond chain' })
  consistency(@Param('watcherId') watcherId: string, @Query() q: ConsistencyQuery) {
    return this.chains.consistencyProof(watcherBondStream(watcherId), q.from, q.to);
  }
}
