import { canonCommand, digestCommand } from './canon';
import { CHAIN_COMMANDS } from './chain';
import type { Command } from './command';
import { keysNewCommand } from './keys';
import { vcSignCommand, vcVerifyCommand } from './vc';

/** The command table: every `corridor` command, in the order `--help` lists them. */
export const COMMANDS: Command[] = [canonCommand, digestCommand, keysNewCommand, vcSignCommand, vcVerifyCommand, ...CHAIN_COMMANDS];
