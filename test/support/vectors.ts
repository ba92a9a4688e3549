import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseJsonText } from '@corridor/protocol';

/**
 * Loads a golden vector file from test/fixtures/vectors (produced by running the reference implementation).
 * Parsed with the protocol's own JSON-text parser, because JSON.parse would round the big integers some
 * vectors hold (e.g. 12345678901234567890) and silently change their canonical bytes.
 */
export function loadVectors<T = any>(name: string): T {
  return parseJsonText(readFileSync(join(__dirname, '..', 'fixtures', 'vectors', name), 'utf8')) as T;
}
