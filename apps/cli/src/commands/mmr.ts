import {
  buildConsistencyProof,
  buildInclusionProof,
  isJsonObject,
  MMR_CONSISTENCY_PROOF_TYPE,
  mmrRootFromNextRoots,
  normalizeMmrHex,
  verifyConsistencyProof,
  verifyInclusionProof,
  type JsonValue,
} from '@corridor/protocol';
import { printJson, readJson, type CliIo } from '../cli-io';
import { CliProblem } from '../cli-problem';
import type { Command } from './command';

/** FILE: a JSON array of receipt next_roots (64 hex each), in leaf order. */
async function readNextRoots(io: CliIo, file: string | undefined): Promise<string[]> {
  const value = await readJson(io, file);
  if (!Array.isArray(value)) throw new CliProblem('invalid-digest', 'Invalid digest', 'the MMR input must be a JSON array of next_root hex digests');
  return value.map((v, i) => {
    const hex = normalizeMmrHex(v);
    if (hex === null) throw new CliProblem('invalid-digest', 'Invalid digest', `element ${i} is not a 64-hex next_root: ${JSON.stringify(v).slice(0, 80)}`);
    return hex;
  });
}

function wholeNumber(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new CliProblem('usage', 'Invalid command line', `--${name} must be a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new CliProblem('out-of-range', 'Out of range', `--${name} ${n} is outside ${min}..${max}`);
  return n;
}

export const mmrRootCommand: Command = {
  words: ['mmr', 'root'],
  usage: 'corridor mmr root FILE',
  summary: 'the MMR over a JSON array of next_roots: {size, root, peaks:[{height, hash}]}',
  async run({ positionals }, io) {
    printJson(io, mmrRootFromNextRoots(await readNextRoots(io, positionals[0])));
    return 0;
  },
};

export const mmrProveCommand: Command = {
  words: ['mmr', 'prove'],
  usage: 'corridor mmr prove FILE --index I',
  summary: "inclusion proof of leaf I, in the reference's shape",
  options: { index: { type: 'string' } },
  async run({ positionals, values }, io) {
    const roots = await readNextRoots(io, positionals[0]);
    if (roots.length === 0) throw new CliProblem('out-of-range', 'Out of range', 'an empty MMR has no leaves to prove');
    printJson(io, buildInclusionProof(roots, wholeNumber(values.index, 'index', 0, roots.length - 1)));
    return 0;
  },
};

export const mmrConsistencyCommand: Command = {
  words: ['mmr', 'consistency'],
  usage: 'corridor mmr consistency FILE --from M [--to N]',
  summary: 'consistency proof that the MMR of the first N leaves (default all) extends the one of the first M',
  options: { from: { type: 'string' }, to: { type: 'string' } },
  async run({ positionals, values }, io) {
    const roots = await readNextRoots(io, positionals[0]);
    if (roots.length === 0) throw new CliProblem('out-of-range', 'Out of range', 'an empty MMR has nothing to prove');
    const to = values.to === undefined ? roots.length : wholeNumber(values.to, 'to', 1, roots.length);
    const from = wholeNumber(values.from, 'from', 1, to);
    printJson(io, buildConsistencyProof(roots.slice(0, to), from));
    return 0;
  },
};

export const mmrVerifyCommand: Command = {
  words: ['mmr', 'verify'],
  usage: 'corridor mmr verify PROOF',
  summary: 'verify an inclusion or consistency proof: {valid, kind, reason?, detail?}; exit 0 valid, 1 invalid',
  async run({ positionals }, io) {
    const proof: JsonValue = await readJson(io, positionals[0]);
    if (!isJsonObject(proof)) throw new CliProblem('invalid-proof', 'Invalid proof', 'a proof must be a JSON object');
    const kind = proof.type === MMR_CONSISTENCY_PROOF_TYPE ? 'consistency' : 'inclusion';
    const result = kind === 'consistency' ? verifyConsistencyProof(proof) : verifyInclusionProof(proof);
    printJson(io, { valid: result.valid, kind, ...(result.reason ? { reason: result.reason } : {}), ...(result.detail ? { detail: result.detail } : {}) });
    return result.valid ? 0 : 1;
  },
};

export const MMR_COMMANDS: Command[] = [mmrRootCommand, mmrProveCommand, mmrConsistencyCommand, mmrVerifyCommand];
