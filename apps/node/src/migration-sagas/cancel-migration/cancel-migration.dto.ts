import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class CancelMigrationDto {
  @ApiProperty({ example: 'the buyer withdrew' })
  @IsString()
  @MaxLength(2000)
  reason!: string;
}
