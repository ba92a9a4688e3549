import { parseArgs } from 'node:util';
import { canonicalize } from '@corridor/protocol';
import { processIo, type CliIo } from './cli-io';
import { CliProblem, toCliProblem } from './cli-problem';
import { COMMANDS } from './commands';
import type { Command } from './commands/command';

/**
 * `corridor` — the auditor's and operator's offline tool. Exit codes: 0 ok/valid, 1 invalid, 2 bad input
 * (an RFC 9457 problem document on stderr).
 */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(helpText());
    return 0;
  }
  const command = findCommand(argv);
  if (!command) {
    io.stderr(canonicalize(new CliProblem("usage", "Invalid command line", `unknown command: ${argv.join(" ")}`).toProblem()) + '\n');
    io.stderr(helpText());
    return 2;
  }
  const rest = argv.slice(command.words.length);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(`usage: ${command.usage}\n  ${command.summary}\n`);
    return 0;
  }
  try {
    const { positionals, values } = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
    return await command.run({ positionals, values: values as Record<string, string | boolean | string[] | boolean[] | undefined> }, io);
  } catch (err) {
    io.stderr(canonicalize(toCliProblem(err).toProblem()) + '\n');
    return 2;
  }
}

function findCommand(argv: string[]): Command | undefined {
  // Longest match first, so `mmr prove` wins over a hypothetical `mmr`.
  return [...COMMANDS]
    .sort((a, b) => b.words.length - a.words.length)
    .find((c) => c.words.every((w, i) => argv[i] === w));
}

function helpText(): string {
  const lines = COMMANDS.map((c) => `  ${c.usage}\n      ${c.summary}`);
  return [
    'usage: corridor <command> [options]',
    '',
    'Results are JSON on stdout. Exit 0 = ok/valid, 1 = invalid, 2 = bad input (RFC 9457 problem on stderr).',
    '',
    'commands:',
    ...lines,
    '',
  ].join('\n');
}
