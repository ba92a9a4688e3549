import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class BeginReviewDto {
  @ApiProperty({ example: 'ICC-2026-0042' })
  @IsString()
  @MaxLength(200)
  case_reference!: string;

  @ApiProperty({ description: 'did:key of the appointed arbitrator' })
  @IsString()
  @MaxLength(300)
  arbitrator!: string;
}
