import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsOptional } from 'class-validator';

export class IssueRulingDto {
  @ApiProperty({ description: 'MSEZArbitrationRulingCredential (refused as evidence-missing when absent)' })
  @IsOptional()
  @IsObject()
  ruling?: Record<string, unknown>;
}
