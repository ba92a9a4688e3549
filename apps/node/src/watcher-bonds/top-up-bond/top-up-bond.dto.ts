import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class TopUpBondDto {
  @ApiProperty({ example: '250', description: 'Decimal string (never a JSON number), in the bond’s currency.' })
  @IsString()
  @MaxLength(60)
  amount!: string;
}
