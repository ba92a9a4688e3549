import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { migrationSaga } from '@corridor/domain';

export class AdvanceMigrationDto {
  @ApiProperty({ enum: migrationSaga.FORWARD_PHASES, example: 'initiated', description: 'The phase that finished (the saga’s current phase): a stale or repeated command cannot skip one.' })
  @IsString()
  @IsIn(migrationSaga.FORWARD_PHASES)
  from_phase!: string;

  @ApiProperty({ example: 'a'.repeat(64), description: 'SHA-256 (64 lower-case hex) of the phase’s evidence bundle; refused as evidence-missing when absent.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  evidence_digest_sha256?: string;
}
