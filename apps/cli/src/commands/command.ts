import type { CliIo } from '../cli-io';

/** One CLI command: its words (`['mmr', 'prove']`), option spec for util.parseArgs, and the handler. */
export interface Command {
  words: string[];
  usage: string;
  summary: string;
  options?: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;
  /** Returns the exit code: 0 ok/valid, 1 invalid. Bad input throws (exit 2). */
  run(args: { positionals: string[]; values: Record<string, string | boolean | string[] | boolean[] | undefined> }, io: CliIo): Promise<number>;
}
