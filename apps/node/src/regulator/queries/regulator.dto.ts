import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';
import { COMPLIANCE_DOMAINS, type ComplianceDomain } from '@corridor/compliance';

const bool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class PageQuery {
  @ApiPropertyOptional({ description: 'The `next` of the previous page.' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(2048)
  after?: string;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000)
  limit?: number;
}

export class AtQuery {
  @ApiPropertyOptional({ description: 'Read time (RFC 3339 UTC); expiry is evaluated then. Default: now.' })
  @IsOptional() @IsISO8601({ strict: true })
  at?: string;
}

export class CorridorsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Lifecycle state: DRAFT, PENDING, ACTIVE, HALTED, SUSPENDED, DEPRECATED.' })
  @IsOptional() @IsString() @MaxLength(32)
  state?: string;
}

export class TensorQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Entity or asset id (the cell subject).' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(512)
  entity?: string;

  @ApiPropertyOptional()
  @IsOptional() @IsString() @MinLength(1) @MaxLength(512)
  jurisdiction?: string;

  @ApiPropertyOptional({ enum: COMPLIANCE_DOMAINS })
  @IsOptional() @IsIn(COMPLIANCE_DOMAINS as unknown as string[])
  domain?: ComplianceDomain;

  @ApiPropertyOptional({ description: 'Read time (RFC 3339 UTC). Default: now.' })
  @IsOptional() @IsISO8601({ strict: true })
  at?: string;
}

export const ATTESTATION_STATUSES = ['valid', 'expired', 'revoked'] as const;
export type AttestationStatus = (typeof ATTESTATION_STATUSES)[number];

export class AttestationsQuery extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional() @IsString() @MinLength(1) @MaxLength(512)
  jurisdiction?: string;

  @ApiPropertyOptional({ description: 'Entity or asset id the attestation is about.' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(512)
  entity?: string;

  @ApiPropertyOptional({ description: 'Attestation type: the compliance domain it attests.', enum: COMPLIANCE_DOMAINS })
  @IsOptional() @IsIn(COMPLIANCE_DOMAINS as unknown as string[])
  type?: ComplianceDomain;

  @ApiPropertyOptional({ enum: ATTESTATION_STATUSES, description: 'revoked: revoked; expired: not revoked and expired at the read time; valid: neither.' })
  @IsOptional() @IsIn(ATTESTATION_STATUSES as unknown as string[])
  status?: AttestationStatus;

  @ApiPropertyOptional({ description: 'Issuer DID.' })
  @IsOptional() @IsString() @MinLength(1) @MaxLength(512)
  issuer?: string;

  @ApiPropertyOptional({ description: 'Read time (RFC 3339 UTC). Default: now.' })
  @IsOptional() @IsISO8601({ strict: true })
  at?: string;
}

export class DisputesQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64)
  status?: string;

  @ApiPropertyOptional() @IsOptional() @Transform(bool) @IsBoolean()
  open?: boolean;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512)
  corridor?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512)
  party?: string;
}

export class MigrationsQuery extends PageQuery {
  @ApiPropertyOptional() @IsOptional() @Transform(bool) @IsBoolean()
  open?: boolean;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512)
  corridor?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512)
  asset?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64)
  phase?: string;
}
