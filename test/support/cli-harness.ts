import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../apps/cli/src/main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json(): any;
  problem(): { type: string; title: string; detail: string };
}

/** Runs the `corridor` command in-process with captured output (the same `main` the binary calls). */
export async function runCli(argv: string[], stdin = '', env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    readStdin: async () => stdin,
    env,
  });
  return {
    code, stdout, stderr,
    json: () => JSON.parse(stdout),
    problem: () => JSON.parse(stderr.split('\n')[0]),
  };
}

export function tempDir(prefix = 'corridor-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTemp(dir: string, name: string, content: string | object): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}
