import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsObject, IsOptional } from 'class-validator';

export class LifecycleTransitionDto {
  @ApiPropertyOptional({ description: 'Evidence credentials the transition requires (definition, agreements, fork alarm, fork resolution).', type: [Object] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(64)
  @IsObject({ each: true })
  evidence?: Record<string, unknown>[];

  @ApiPropertyOptional({ description: 'MSEZCorridorLifecycleTransitionCredential signed by a zone authority (suspend, resume from suspension, deprecate).' })
  @IsOptional()
  @IsObject()
  authorization?: Record<string, unknown>;
}
