import { canonicalize, sha256Hex } from '@corridor/protocol';
import { readJson } from '../cli-io';
import type { Command } from './command';

export const canonCommand: Command = {
  words: ['canon'],
  usage: 'corridor canon [FILE|-]',
  summary: 'print the canonical bytes of a JSON document',
  async run({ positionals }, io) {
    io.stdout(canonicalize(await readJson(io, positionals[0])));
    return 0;
  },
};

export const digestCommand: Command = {
  words: ['digest'],
  usage: 'corridor digest [FILE|-]',
  summary: 'print the SHA-256 of the canonical bytes: {"sha256": hex}',
  async run({ positionals }, io) {
    const text = canonicalize(await readJson(io, positionals[0]));
    io.stdout(JSON.stringify({ sha256: sha256Hex(text) }) + '\n');
    return 0;
  },
};
