import { readFile } from 'node:fs/promises';
import { canonicalize, parseJsonText, utcSeconds, type JsonValue } from '@corridor/protocol';
import { CliProblem } from './cli-problem';

/** Where a command reads and writes: the process in production, buffers in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
}

export const processIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  env: process.env,
};

/** Reads FILE, or standard input for `-` / no argument. Invalid UTF-8 is refused, not silently replaced. */
export async function readText(io: CliIo, file: string | undefined): Promise<string> {
  if (file === undefined || file === '-') return io.readStdin();
  const bytes = await readFile(file);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliProblem('invalid-json', 'Input is not valid JSON', `${file} is not valid UTF-8`);
  }
}

export async function readJson(io: CliIo, file: string | undefined): Promise<JsonValue> {
  return parseJsonText(await readText(io, file));
}

/** SOURCE_DATE_EPOCH (reproducible output, as in the reference tooling), else now; UTC whole seconds. */
export function nowUtc(io: CliIo): string {
  const epoch = io.env.SOURCE_DATE_EPOCH;
  return utcSeconds(epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : new Date());
}

/** Results are canonical JSON on one line: stable, diffable, and directly hashable. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(canonicalize(value) + '\n');
}
