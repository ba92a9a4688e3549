import { addProof, canonicalize, Ed25519KeyPair, isJsonObject, verifyProofs } from '@corridor/protocol';
import { nowUtc, printJson, readJson } from '../cli-io';
import { CliProblem } from '../cli-problem';
import type { Command } from './command';

export const vcSignCommand: Command = {
  words: ['vc', 'sign'],
  usage: 'corridor vc sign --key JWK [--created TS] [--verification-method VM] FILE',
  summary: 'print the document with one more MsezEd25519Signature2025 proof (canonical JSON)',
  options: { key: { type: 'string' }, created: { type: 'string' }, 'verification-method': { type: 'string' } },
  async run({ positionals, values }, io) {
    if (typeof values.key !== 'string') throw new CliProblem('usage', 'Invalid command line', '--key JWK is required');
    const key = Ed25519KeyPair.fromJwk(await readJson(io, values.key));
    const doc = await readJson(io, positionals[0]);
    if (!isJsonObject(doc)) throw new CliProblem('invalid-credential', 'Invalid credential', 'the document to sign must be a JSON object');
    const created = (values.created as string | undefined) ?? nowUtc(io);
    const signed = addProof(doc, key, { created, verificationMethod: values['verification-method'] as string | undefined });
    io.stdout(canonicalize(signed) + '\n');
    return 0;
  },
};

export const vcVerifyCommand: Command = {
  words: ['vc', 'verify'],
  usage: 'corridor vc verify FILE',
  summary: 'verify every proof: {valid, proofs:[{verificationMethod, valid, reason?}]}; exit 0 valid, 1 invalid',
  async run({ positionals }, io) {
    const doc = await readJson(io, positionals[0]);
    if (!isJsonObject(doc)) throw new CliProblem('invalid-credential', 'Invalid credential', 'a credential must be a JSON object');
    const results = verifyProofs(doc);
    const valid = results.length > 0 && results.every((r) => r.ok);
    printJson(io, {
      valid,
      proofs: results.map((r) => (r.ok ? { verificationMethod: r.verificationMethod, valid: true } : { verificationMethod: r.verificationMethod, valid: false, check: r.check, reason: r.error })),
      ...(results.length === 0 ? { reason: 'the document has no proof' } : {}),
    });
    return valid ? 0 : 1;
  },
};
