import { canonCommand, digestCommand } from './canon';
import { CHAIN_COMMANDS } from './chain';
import type { Command } from './command';
import { exampleCorridorCommand } from './example';
import { EXPORT_COMMANDS } from './export';
import { keysDidCommand, keysNewCommand } from './keys';
import { MMR_COMMANDS } from './mmr';
import { REPLAY_COMMANDS } from './replay';
import { vcSignCommand, vcVerifyCommand } from './vc';

/** The command table: every `corridor` command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [
  canonCommand,
  digestCommand,
  keysNewCommand,
  keysDidCommand,
  vcSignCommand,
  vcVerifyCommand,
  ...MMR_COMMANDS,
  ...CHAIN_COMMANDS,
  exampleCorridorCommand,
  ...EXPORT_COMMANDS,
  ...REPLAY_COMMANDS,
];
