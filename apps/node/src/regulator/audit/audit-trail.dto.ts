import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class AuditTrailQuery {
  @ApiPropertyOptional({ description: 'Only requests of this principal.' })
  @IsOptional() @IsString() @MaxLength(128)
  principal?: string;

  @ApiPropertyOptional({ enum: ['allowed', 'denied'] })
  @IsOptional() @IsIn(['allowed', 'denied'])
  decision?: 'allowed' | 'denied';

  @ApiPropertyOptional({ description: 'Requests at or after this time (RFC 3339).' })
  @IsOptional() @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ description: 'Requests before this time (RFC 3339).' })
  @IsOptional() @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ description: 'Entries after this id (the `next` of the previous page).' })
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit?: number;
}
