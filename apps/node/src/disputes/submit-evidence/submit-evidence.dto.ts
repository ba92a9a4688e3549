import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';

export class EvidenceItemDto {
  @ApiProperty({ description: 'next_root of the cited corridor receipt (64 lower-case hex)' })
  @IsString()
  @MaxLength(64)
  receipt_next_root!: string;

  @ApiProperty({ description: "The receipt's MMR inclusion proof at the corridor's current head, as GET /corridors/{id}/receipts/{sequence}/proof answers it" })
  @IsOptional()
  @IsObject()
  inclusion_proof?: Record<string, unknown>;

  @ApiPropertyOptional({ example: 'invoice INV-3 as recorded' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;
}

export class SubmitEvidenceDto {
  @ApiProperty({ example: 'pkg-claimant-1', description: 'Each package id once per dispute.' })
  @IsString()
  @MaxLength(200)
  package_id!: string;

  @ApiProperty({ description: 'did:key of the submitting party (claimant or respondent)' })
  @IsString()
  @MaxLength(300)
  submitted_by!: string;

  @ApiProperty({ type: [EvidenceItemDto], description: 'Cited corridor receipts. The node verifies each proof against its own current head of the corridor’s state channel.' })
  @IsArray()
  @ArrayMaxSize(256)
  @ValidateNested({ each: true })
  @Type(() => EvidenceItemDto)
  items!: EvidenceItemDto[];
}
