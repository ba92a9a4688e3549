import { PROBLEM_BASE_URI, ProtocolError } from '@corridor/protocol';

/**
 * A client mistake (unreadable file, unparsable JSON, a float, a malformed proof…). The CLI prints it as an
 * RFC 9457 problem document on stderr and exits 2; "valid/invalid" answers use exits 0/1 instead.
 */
export class CliProblem extends Error {
  constructor(
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail);
  }

  toProblem(): { type: string; title: string; detail: string; status: number } {
    return { type: PROBLEM_BASE_URI + this.slug, title: this.title, detail: this.detail, status: 400 };
  }
}

const TITLES: Record<string, string> = {
  'invalid-json': 'Input is not valid JSON',
  'float-not-allowed': 'Floats are not allowed',
  'invalid-string': 'String cannot be encoded',
  'unsupported-value': 'Unsupported value',
  'invalid-digest': 'Invalid digest',
  'invalid-did-key': 'Invalid did:key',
  'invalid-key': 'Invalid key',
  'invalid-envelope': 'Invalid transition envelope',
  'invalid-receipt': 'Invalid receipt',
  'invalid-proof': 'Invalid proof',
  'invalid-checkpoint': 'Invalid checkpoint',
  'invalid-credential': 'Invalid credential',
  'invalid-module': 'Invalid corridor module',
  'no-fork': 'Receipts do not conflict',
};

/** Turns any failure into a problem: protocol errors keep their stable code, anything else is a usage problem. */
export function toCliProblem(err: unknown): CliProblem {
  if (err instanceof CliProblem) return err;
  if (err instanceof ProtocolError) return new CliProblem(err.code, TITLES[err.code] ?? 'Invalid input', err.message);
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && typeof e.path === 'string') {
    return new CliProblem('unreadable-file', 'File cannot be read', `${e.code}: ${e.path}`);
  }
  if (e && e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new CliProblem('usage', 'Invalid command line', e.message);
  if (e && typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS')) return new CliProblem('usage', 'Invalid command line', e.message);
  return new CliProblem('internal-error', 'Unexpected failure', e?.message ?? String(err));
}
