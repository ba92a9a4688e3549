import { ApiProperty } from '@nestjs/swagger';
import { canonicalize } from '@corridor/protocol';
import { withCanonicalText } from '../http/canonical-json';
import type { CommandOutcome } from './aggregate-store';
import type { AggregateView } from './aggregate-definition';

/** What every accepted command answers: the receipts it appended, per stream, signed by this node. */
export class CommandAnswer {
  @ApiProperty({ example: 'corridor' }) aggregate!: string;
  @ApiProperty({ example: 'org.example.corridor.pk-ae' }) id!: string;
  @ApiProperty({ description: 'Signed receipts appended by the command, with the stream each belongs to.' })
  receipts!: { stream: string; receipt: Record<string, unknown> }[];
}

/**
 * The answer to an accepted command. When the ledger gave the stored text of every receipt, the answer carries its
 * canonical JSON already (see `answerText`), frozen with it.
 */
export function commandAnswer(outcome: CommandOutcome<AggregateView<unknown>>): CommandAnswer {
  const receipts = outcome.receipts.map(({ stream, receipt }) => Object.freeze({ stream, receipt }));
  const answer: CommandAnswer = { aggregate: outcome.aggregate, id: outcome.id, receipts: Object.freeze(receipts) as CommandAnswer['receipts'] };
  const texts = outcome.receipts.map((r) => r.text);
  if (texts.every((t): t is string => t !== undefined)) withCanonicalText(answer, answerText(answer, texts));
  return answer;
}

/**
 * `canonicalize(answer)` with each receipt's stored canonical text spliced in: the keys in code-point order
 * (`aggregate` < `id` < `receipts`; `receipt` < `stream`), strings as `canonicalize` writes them. Any field added to
 * the answer must be added here too (the test compares with `canonicalize`).
 */
export function answerText(answer: CommandAnswer, texts: readonly string[]): string {
  const items = answer.receipts.map((r, i) => `{"receipt":${texts[i]},"stream":${canonicalize(r.stream)}}`);
  return `{"aggregate":${canonicalize(answer.aggregate)},"id":${canonicalize(answer.id)},"receipts":[${items.join(',')}]}`;
}
