import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { MIGRATION_ID_PATTERN } from '../migration-saga-aggregate';

export class StartMigrationDto {
  @ApiProperty({ example: 'mig-2026-0001', description: 'Lower-case letters, digits, dots, dashes or underscores, ≤ 200 characters.' })
  @IsString()
  @MaxLength(200)
  @Matches(MIGRATION_ID_PATTERN, { message: 'migration_id must be lower-case letters, digits, dots, dashes or underscores, starting with a letter or digit' })
  migration_id!: string;

  @ApiProperty({ example: 'org.example.pk-ae', description: 'An ACTIVE corridor of this node; the saga is bound to its state channel (genesis root taken from the node’s own chain).' })
  @IsString()
  @MaxLength(200)
  corridor_id!: string;

  @ApiProperty({ example: 'asset:warehouse-receipt:WR-7781' })
  @IsString()
  @MaxLength(500)
  asset_id!: string;

  @ApiProperty({ example: 'PK' })
  @IsString()
  @MaxLength(64)
  source_jurisdiction!: string;

  @ApiProperty({ example: 'AE' })
  @IsString()
  @MaxLength(64)
  destination_jurisdiction!: string;

  @ApiProperty({ example: '2026-03-01T12:00:00Z', description: 'UTC, whole seconds; after now. Not completed by then, the saga is expired and undone by the scheduler.' })
  @IsString()
  @MaxLength(20)
  deadline!: string;
}
