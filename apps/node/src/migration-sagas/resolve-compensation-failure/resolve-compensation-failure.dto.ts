import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export class ResolveCompensationFailureDto {
  @ApiProperty({ example: 'operator:alice' })
  @IsString()
  @MaxLength(200)
  operator!: string;

  @ApiProperty({ enum: ['compensated_manually', 'retry'] })
  @IsString()
  @IsIn(['compensated_manually', 'retry'])
  resolution!: string;

  @ApiProperty({ example: 'fee hold released by hand in the fee ledger, ticket OPS-112' })
  @IsString()
  @MaxLength(2000)
  note!: string;

  @ApiPropertyOptional({ example: 'c'.repeat(64), description: 'Mandatory for compensated_manually: SHA-256 of the evidence of what was done by hand.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  evidence_digest_sha256?: string;
}
