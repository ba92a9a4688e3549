import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';

export class SubmitAttestationDto {
  @ApiProperty({ description: "An MSEZCorridorWatcherAttestationCredential over a checkpoint of the corridor's state channel, signed by a bonded watcher." })
  @IsObject()
  attestation!: Record<string, unknown>;
}
