import { Controller, Get, Param, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ChainReader } from '../../chains/chain-reader';
import { ConsistencyQuery, ReceiptPageQuery, SizeQuery } from '../../chains/chain-query.dto';
import { SequencePipe } from '../../http/sequence.pipe';
import { migrationStream } from '../migration-saga-aggregate';
import { GetMigrationQuery } from './get-migration.query';

/** Reads of a migration saga and its receipt chain (`MSEZMigrationSagaReceipt`). */
@ApiTags('migration sagas')
@Controller('migrations/:id')
export class MigrationQueriesController {
  constructor(
    private readonly queries: QueryBus,
    private readonly chains: ChainReader,
  ) {}

  @Get()
  @ApiOperation({ summary: "The saga's phase, deadline, compensation progress, the scheduler's next action and the chain head" })
  migration(@Param('id') id: string) {
    return this.queries.execute(new GetMigrationQuery(id));
  }

  @Get('receipts')
  @ApiOperation({ summary: 'Saga receipts after a sequence' })
  receipts(@Param('id') id: string, @Query() q: ReceiptPageQuery) {
    return this.chains.receipts(migrationStream(id), q.after ?? -1, q.limit ?? 100);
  }

  @Get('receipts/:sequence')
  @ApiOperation({ summary: 'One saga receipt' })
  receipt(@Param('id') id: string, @Param('sequence', SequencePipe) sequence: number) {
    return this.chains.receipt(migrationStream(id), sequence);
  }

  @Get('receipts/:sequence/proof')
  @ApiOperation({ summary: "Inclusion proof of a receipt in the saga chain's MMR" })
  proof(@Param('id') id: string, @Param('sequence', SequencePipe) sequence: number, @Query() q: SizeQuery) {
    return this.chains.inclusionProof(migrationStream(id), sequence, q.size);
  }

  @Get('checkpoint')
  @ApiOperation({ summary: 'The latest checkpoint of the saga chain, signed by this node' })
  checkpoint(@Param('id') id: string) {
    return this.chains.checkpoint(migrationStream(id));
  }

  @Get('checkpoints/:size')
  @ApiOperation({ summary: 'The checkpoint of the first SIZE saga receipts, signed by this node' })
  checkpointAt(@Param('id') id: string, @Param('size', SequencePipe) size: number) {
    return this.chains.checkpoint(migrationStream(id), size);
  }

  @Get('consistency')
  @ApiOperation({ summary: 'MMR consistency proof between two heights of the saga chain' })
  consistency(@Param('id') id: string, @Query() q: ConsistencyQuery) {
    return this.chains.consistencyProof(migrationStream(id), q.from, q.to);
  }
}
