import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { dispute } from '@corridor/domain';

export class ForfeitEscrowDto {
  @ApiProperty({
    enum: dispute.ESCROW_CONDITION_NAMES,
    description: 'ruling_enforced (ENFORCED or CLOSED), settlement_agreed (SETTLED), dispute_dismissed (DISMISSED), institution_order (any state, with order_digest_sha256)',
  })
  @IsString()
  @IsIn(dispute.ESCROW_CONDITION_NAMES)
  condition!: string;

  @ApiPropertyOptional({ description: 'SHA-256 of the institution order; mandatory for institution_order' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  order_digest_sha256?: string;
}
