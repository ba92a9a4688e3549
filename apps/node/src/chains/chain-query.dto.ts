import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class ReceiptPageQuery {
  @ApiPropertyOptional({ description: 'Return receipts with a sequence greater than this (peers catch up with ?after=<their head>).', default: -1 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(-1) @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit?: number;
}

export class SizeQuery {
  @ApiPropertyOptional({ description: 'MMR size (number of receipts) to prove against; default: the whole chain.' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER)
  size?: number;
}

export class ConsistencyQuery {
  @ApiPropertyOptional({ description: 'Old size (a checkpoint the client holds).' })
  @Type(() => Number) @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER)
  from!: number;

  @ApiPropertyOptional({ description: 'New size; default: the whole chain.' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(Number.MAX_SAFE_INTEGER)
  to?: number;
}
