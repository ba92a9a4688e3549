import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { DISPUTE_ID_PATTERN } from '../dispute-aggregate';

export class FileDisputeDto {
  @ApiProperty({ example: 'dsp-2026-0007', description: 'Lower-case letters, digits, dots, dashes or underscores, ≤ 200 characters.' })
  @IsString()
  @MaxLength(200)
  @Matches(DISPUTE_ID_PATTERN, { message: 'dispute_id must be lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit' })
  dispute_id!: string;

  @ApiProperty({ example: 'org.example.pk-ae', description: 'A corridor of this node with a state channel; the dispute is bound to it (genesis root from the node’s own chain).' })
  @IsString()
  @MaxLength(200)
  corridor_id!: string;

  @ApiProperty({ description: 'did:key of the claimant' })
  @IsString()
  @MaxLength(300)
  claimant!: string;

  @ApiProperty({ description: 'did:key of the respondent (not the claimant)' })
  @IsString()
  @MaxLength(300)
  respondent!: string;

  @ApiProperty({ example: 'e'.repeat(64), description: 'SHA-256 of the statement of claim.' })
  @IsString()
  @MaxLength(64)
  filing_digest_sha256!: string;

  @ApiPropertyOptional({
    description: "Head commitment digest (the protocol's, as watchers attest) of the corridor head the claim is about. Default: this node's current head of the corridor's state channel.",
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  corridor_head_commitment_sha256?: string;
}
