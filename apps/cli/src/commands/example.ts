import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalize } from '@corridor/protocol';
import { printJson } from '../cli-io';
import { CliProblem } from '../cli-problem';
import { buildExampleCorridor } from '../example-corridor';
import type { Command } from './command';

export const exampleCorridorCommand: Command = {
  words: ['example', 'corridor'],
  usage: 'corridor example corridor --id ID --out DIR [--zones PK,AE] [--seed TEXT]',
  summary: 'write a signed example corridor package (zone keys, trust anchors, definition and agreement credentials) and the request bodies that take a node from DRAFT to ACTIVE',
  options: { id: { type: 'string' }, out: { type: 'string' }, zones: { type: 'string' }, seed: { type: 'string' } },
  async run({ values }, io) {
    const id = values.id;
    const out = values.out;
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,199}$/.test(id)) throw new CliProblem('usage', 'Invalid command line', '--id must be a corridor id (lower-case letters, digits, . _ -)');
    if (typeof out !== 'string' || out === '') throw new CliProblem('usage', 'Invalid command line', '--out DIR is required');
    const zones = typeof values.zones === 'string' ? values.zones.split(',').map((z) => z.trim().toUpperCase()) : undefined;
    if (zones && (zones.length < 2 || zones.some((z) => !/^[A-Z][A-Z0-9-]{1,15}$/.test(z)))) throw new CliProblem('usage', 'Invalid command line', '--zones takes two or more zone codes, e.g. PK,AE');
    const c = buildExampleCorridor({ corridorId: id, zones, seed: values.seed as string | undefined });
    await mkdir(join(out, 'keys'), { recursive: true });
    const files: Record<string, string> = {};
    const put = async (name: string, content: string, mode = 0o644) => {
      await writeFile(join(out, name), content, { mode });
      files[name] = join(out, name);
    };
    for (const z of c.zones) await put(`keys/zone-${z.code.toLowerCase()}.jwk`, JSON.stringify(z.key.toJwk({ includePrivate: true }), null, 2) + '\n', 0o600);
    await put('trust-anchors.json', JSON.stringify(c.trustAnchors, null, 2) + '\n');
    await put('corridor.vc.json', canonicalize(c.definition) + '\n');
    for (const [i, a] of c.agreements.entries()) await put(`corridor.agreement.${c.zones[i]!.code.toLowerCase()}.vc.json`, canonicalize(a) + '\n');
    await put('create.json', canonicalize(c.requests.create) + '\n');
    await put('submit.json', canonicalize(c.requests.submit) + '\n');
    await put('activate.json', canonicalize(c.requests.activate) + '\n');
    printJson(io, { corridor_id: id, zones: c.zones.map((z) => ({ code: z.code, did: z.key.did })), files });
    return 0;
  },
};
