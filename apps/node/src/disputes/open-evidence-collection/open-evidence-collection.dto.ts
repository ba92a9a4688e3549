import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class OpenEvidenceCollectionDto {
  @ApiProperty({ example: '1'.repeat(64) })
  @IsString()
  @MaxLength(64)
  procedural_order_digest_sha256!: string;

  @ApiProperty({ example: '2026-04-01T00:00:00Z', description: 'UTC, whole seconds, after now.' })
  @IsString()
  @MaxLength(20)
  evidence_deadline!: string;
}
