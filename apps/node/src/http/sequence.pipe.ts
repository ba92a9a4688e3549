import { Injectable, type PipeTransform } from '@nestjs/common';
import { ProblemException } from './problem';

/** A path segment that must be a receipt sequence (a whole number within the safe range). */
@Injectable()
export class SequencePipe implements PipeTransform<unknown, number> {
  transform(value: unknown): number {
    // The global validation pipe may already have turned the segment into a number (NaN for "abc").
    const text = String(value);
    if (!/^\d{1,15}$/.test(text)) throw new ProblemException(400, 'invalid-request', 'Invalid request', `sequence must be a whole number, got ${JSON.stringify(text.slice(0, 40))}`);
    return Number(text);
  }
}
