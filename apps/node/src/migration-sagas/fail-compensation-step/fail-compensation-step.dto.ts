import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class FailCompensationStepDto {
  @ApiProperty({ example: 'release_fee_holds' })
  @IsString()
  @MaxLength(100)
  step!: string;

  @ApiProperty({ example: 'fee ledger unavailable (HTTP 503)' })
  @IsString()
  @MaxLength(2000)
  error!: string;
}
