import { Injectable, type PipeTransform } from '@nestjs/common';
import { ProblemException } from './problem';

/** A path segment that must be a receipt sequence (a whole number within the safe range). */
@Injectable()
export class SequencePipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^\d{1,15}$/.test(value)) throw new ProblemException(400, 'invalid-request', 'Invalid request', `sequence must be a whole number, got ${JSON.stringify(value.slice(0, 40))}`);
    return Number(value);
  }
}
