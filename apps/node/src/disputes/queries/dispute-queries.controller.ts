import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChainReader } from '../../chains/chain-reader';
import { ConsistencyQuery, ReceiptPageQuery, SizeQuery } from '../../chains/chain-query.dto';
import { SequencePipe } from '../../http/sequence.pipe';
import { disputeStream } from '../dispute-aggregate';
import { GetDisputeQuery } from './get-dispute.query';

/** Reads of a dispute and its receipt chain (`MSEZDisputeReceipt`). */
@ApiTags('disputes')
@Controller('disputes/:id')
export class DisputeQueriesController {
  constructor(
    private readonly queries: QueryBus,
    private readonly chains: ChainReader,
  ) {}

  @Get()
  @ApiOperation({ summary: "The dispute's status, parties, arbitrator, evidence packages, ruling, consents, escrow and chain head" })
  dispute(@Param('id') id: string) {
    return this.queries.execute(new GetDisputeQuery(id));
  }

  @Get('receipts')
  @ApiOperation({ summary: 'Dispute receipts after a sequence' })
  receipts(@Param('id') id: string, @Query() q: ReceiptPageQuery) {
    return this.chains.receipts(disputeStream(id), q.after ?? -1, q.limit ?? 100);
  }

  @Get('receipts/:sequence')
  @ApiOperation({ summary: 'One dispute receipt' })
  receipt(@Param('id') id: string, @Param('sequence', SequencePipe) sequence: number) {
    return this.chains.receipt(disputeStream(id), sequence);
  }

  @Get('receipts/:sequence/proof')
  @ApiOperation({ summary: "Inclusion proof of a receipt in the dispute chain's MMR" })
  proof(@Param('id') id: string, @Param('sequence', SequencePipe) sequence: number, @Query() q: SizeQuery) {
    return this.chains.inclusionProof(disputeStream(id), sequence, q.size);
  }

  @Get('checkpoint')
  @ApiOperation({ summary: 'The latest checkpoint of the dispute chain, signed by this node' })
  checkpoint(@Param('id') id: string) {
    return this.chains.checkpoint(disputeStream(id));
  }

  @Get('checkpoints/:size')
  @ApiOperation({ summary: 'The checkpoint of the first SIZE dispute receipts, signed by this node' })
  checkpointAt(@Param('id') id: string, @Param('size', SequencePipe) size: number) {
    return this.chains.checkpoint(disputeStream(id), size);
  }

  @Get('consistency')
  @ApiOperation({ summary: 'MMR consistency proof between two heights of the dispute chain' })
  consistency(@Param('id') id: string, @Query() q: ConsistencyQuery) {
    return this.chains.consistencyProof(disputeStream(id), q.from, q.to);
  }
}
