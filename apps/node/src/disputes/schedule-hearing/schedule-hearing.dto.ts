import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class ScheduleHearingDto {
  @ApiProperty({ example: '2026-04-15T09:00:00Z', description: 'UTC, whole seconds, not in the past.' })
  @IsString()
  @MaxLength(20)
  hearing_at!: string;
}
