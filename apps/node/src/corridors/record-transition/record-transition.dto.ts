import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';

export class RecordTransitionDto {
  @ApiProperty({ description: "{kind, payload} (or a full MSEZTransitionEnvelope); kind must be registered in governance/transition-kinds.json", example: { kind: 'trade.invoice.issued.v1', payload: { invoice: 'INV-1', amount: '1250.00', currency: 'USD' } } })
  @IsObject()
  transition!: Record<string, unknown>;
}
