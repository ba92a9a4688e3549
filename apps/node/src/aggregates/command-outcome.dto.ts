import { ApiProperty } from '@nestjs/swagger';
import type { CommandOutcome } from './aggregate-store';
import type { AggregateView } from './aggregate-definition';

/** What every accepted command answers: the receipts it appended, per stream, signed by this node. */
export class CommandAnswer {
  @ApiProperty({ example: 'corridor' }) aggregate!: string;
  @ApiProperty({ example: 'org.example.corridor.pk-ae' }) id!: string;
  @ApiProperty({ description: 'Signed receipts appended by the command, with the stream each belongs to.' })
  receipts!: { stream: string; receipt: Record<string, unknown> }[];
}

export function commandAnswer(outcome: CommandOutcome<AggregateView<unknown>>): CommandAnswer {
  return { aggregate: outcome.aggregate, id: outcome.id, receipts: outcome.receipts };
}
