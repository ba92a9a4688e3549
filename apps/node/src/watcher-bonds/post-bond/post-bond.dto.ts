import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { WATCHER_ID_PATTERN } from '../watcher-bond-aggregate';

export class PostBondDto {
  @ApiProperty({ example: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', description: 'The watcher’s did:key (no fragment).' })
  @IsString()
  @Matches(WATCHER_ID_PATTERN, { message: 'watcher_id must be a did:key without fragment' })
  watcher_id!: string;

  @ApiProperty({ example: 'bond-2026-01', description: 'New for this watcher: a bond id is never reused.' })
  @IsString()
  @MaxLength(200)
  bond_id!: string;

  @ApiProperty({ example: '1000.50', description: 'Decimal string (never a JSON number): digits, optional fraction of ≤ 18 digits.' })
  @IsString()
  @MaxLength(60)
  amount!: string;

  @ApiProperty({ example: 'USD' })
  @IsString()
  @MaxLength(10)
  currency!: string;

  @ApiProperty({ example: ['org.example.pk-ae'], description: 'The corridors the bond lets the watcher attest.' })
  @IsArray()
  @ArrayMaxSize(256)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  corridor_ids!: string[];
}
