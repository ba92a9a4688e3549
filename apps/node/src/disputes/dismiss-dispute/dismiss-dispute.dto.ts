import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class DismissDisputeDto {
  @ApiProperty({ example: '3'.repeat(64) })
  @IsString()
  @MaxLength(64)
  dismissal_order_digest_sha256!: string;

  @ApiProperty({ example: 'claim outside the tribunal’s jurisdiction' })
  @IsString()
  @MaxLength(2000)
  reason!: string;
}
