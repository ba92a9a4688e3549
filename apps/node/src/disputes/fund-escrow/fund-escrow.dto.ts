import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { dispute } from '@corridor/domain';

export class FundEscrowDto {
  @ApiProperty({ example: 'esc-1' })
  @IsString()
  @MaxLength(200)
  escrow_id!: string;

  @ApiProperty({ enum: dispute.ESCROW_TYPES })
  @IsString()
  @IsIn(dispute.ESCROW_TYPES)
  escrow_type!: string;

  @ApiProperty({ example: '25000.00', description: 'Decimal string (never a JSON number).' })
  @IsString()
  @MaxLength(60)
  amount!: string;

  @ApiProperty({ example: 'USD' })
  @IsString()
  @MaxLength(10)
  currency!: string;

  @ApiProperty({ description: 'did:key of the funding party' })
  @IsString()
  @MaxLength(300)
  funded_by!: string;
}
