import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class RecordAttestationDto {
  @ApiProperty({ example: 'org.example.pk-ae' })
  @IsString()
  @MaxLength(200)
  corridor_id!: string;

  @ApiProperty({ example: 'd'.repeat(64), description: 'SHA-256 of the watcher attestation credential.' })
  @IsString()
  @MaxLength(64)
  attestation_digest_sha256!: string;
}
