import { ApiProperty } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class CompleteCompensationStepDto {
  @ApiProperty({ example: 'release_fee_holds', description: 'The step the saga’s compensation plan runs next (see GET /migrations/{id}: scheduler.step).' })
  @IsString()
  @MaxLength(100)
  step!: string;

  @ApiProperty({ example: 'b'.repeat(64), description: 'SHA-256 of the evidence that the step was undone; refused as evidence-missing when absent.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  evidence_digest_sha256?: string;
}
