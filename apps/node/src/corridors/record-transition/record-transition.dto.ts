import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';
import { compiledDto } from '../../http/compiled-dto';

export class RecordTransitionDto {
  @ApiProperty({ description: "{kind, payload} (or a full MSEZTransitionEnvelope); kind must be registered in governance/transition-kinds.json", example: { kind: 'trade.invoice.issued.v1', payload: { invoice: 'INV-1', amount: '1250.00', currency: 'USD' } } })
  @IsObject()
  transition!: Record<string, unknown>;
}

/**
 * The hot path's DTO is validated through its compiled schema (http/compiled-dto.ts): the same rules, a fraction of the
 * cost, and the transition stored exactly as sent.
 */
export const RECORD_TRANSITION_BODY = compiledDto(RecordTransitionDto);
