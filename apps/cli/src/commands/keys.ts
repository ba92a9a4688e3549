import { writeFile } from 'node:fs/promises';
import { Ed25519KeyPair } from '@corridor/protocol';
import { printJson } from '../cli-io';
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
