import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject } from 'class-validator';

export class RotateSignerKeyDto {
  @ApiProperty({
    description: 'Exactly one MSEZCorridorKeyRotationCredential {corridor_id, previous_key, new_key, effective_from_sequence}, signed by the new key and by the previous key (planned) or another zone authority (compromise).',
    type: [Object],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1)
  @IsObject({ each: true })
  evidence!: Record<string, unknown>[];
}
