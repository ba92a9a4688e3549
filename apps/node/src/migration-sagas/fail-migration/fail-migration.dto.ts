import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class FailMigrationDto {
  @ApiProperty({ example: 'destination registry refused the asset' })
  @IsString()
  @MaxLength(2000)
  reason!: string;
}
