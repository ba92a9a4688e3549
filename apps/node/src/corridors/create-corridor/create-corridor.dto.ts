import { ApiProperty } from '@nestjs/swagger';
import { IsObject, IsString, Matches, MaxLength } from 'class-validator';

export const CORRIDOR_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,199}$/;

export class CreateCorridorDto {
  @ApiProperty({ example: 'org.example.corridor.pk-ae', description: 'Lower-case, dot/dash separated, ≤ 200 characters.' })
  @IsString()
  @MaxLength(200)
  @Matches(CORRIDOR_ID_PATTERN, { message: 'corridor_id must be lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit' })
  corridor_id!: string;

  @ApiProperty({
    description: "A trust-anchors document as the reference writes it: {trust_anchors: [{identifier: 'did:key:…', allowed_attestations: ['zone_authority', 'corridor_agreement', …]}]}",
  })
  @IsObject()
  trust_anchors!: Record<string, unknown>;
}
