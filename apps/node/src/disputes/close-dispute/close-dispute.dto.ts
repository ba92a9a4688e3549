import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class CloseDisputeDto {
  @ApiProperty({ example: '2'.repeat(64) })
  @IsString()
  @MaxLength(64)
  final_report_digest_sha256!: string;
}
