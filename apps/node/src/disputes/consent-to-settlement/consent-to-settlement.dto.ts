import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsOptional, IsString, MaxLength } from 'class-validator';

export class ConsentToSettlementDto {
  @ApiProperty({ description: 'did:key of the consenting party (claimant or respondent)' })
  @IsString()
  @MaxLength(300)
  party!: string;

  @ApiProperty({ description: 'MSEZDisputeSettlementConsentCredential signed by the party (refused as evidence-missing when absent)' })
  @IsOptional()
  @IsObject()
  consent?: Record<string, unknown>;
}
