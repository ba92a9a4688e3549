import { writeFile } from 'node:fs/promises';
import { Ed25519KeyPair } from '@corridor/protocol';
import { printJson, readJson } from '../cli-io';
import { CliProblem } from '../cli-problem';
import type { Command } from './command';

export const keysNewCommand: Command = {
  words: ['keys', 'new'],
  usage: 'corridor keys new [--out FILE] [--kid KID]',
  summary: 'generate an Ed25519 key (JWK, written with mode 0600) and print its did:key',
  options: { out: { type: 'string' }, kid: { type: 'string' } },
  async run({ values }, io) {
    const key = Ed25519KeyPair.generate(values.kid as string | undefined);
    const out = values.out as string | undefined;
    if (out) {
      // `wx`: never overwrite an existing key file by accident.
      await writeFile(out, JSON.stringify(key.toJwk({ includePrivate: true }), null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      printJson(io, { did: key.did, verificationMethod: key.verificationMethod, file: out });
    } else {
      printJson(io, { did: key.did, verificationMethod: key.verificationMethod, jwk: key.toJwk({ includePrivate: true }) });
    }
    return 0;
  },
};

/** The bare did:key of a JWK file — the one command whose output is not JSON, so shells can capture it. */
export const keysDidCommand: Command = {
  words: ['keys', 'did'],
  usage: 'corridor keys did FILE',
  summary: "print the did:key of a JWK file, alone on its line (for shell variables)",
  options: {},
  async run({ positionals }, io) {
    const file = positionals[0];
    if (!file) throw new CliProblem('usage', 'Invalid command line', 'a JWK FILE is required');
    let key: Ed25519KeyPair;
    try {
      key = Ed25519KeyPair.fromJwk(await readJson(io, file));
    } catch (e) {
      if (e instanceof CliProblem) throw e;
      throw new CliProblem('invalid-key', 'Invalid key', `${file} does not hold an Ed25519 JWK: ${(e as Error).message}`);
    }
    io.stdout(`${key.did}\n`);
    return 0;
  },
};
