import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canonicalize, Ed25519KeyPair, parseJsonText } from '@corridor/protocol';
import { printJson } from '../cli-io';
import { CliProblem } from '../cli-problem';
import { buildExampleCorridor } from '../example-corridor';
import type { Command } from './command';

export const exampleCorridorCommand: Command = {
  words: ['example', 'corridor'],
  usage: 'corridor example corridor --id ID --out DIR [--zones PK,AE] [--seed TEXT] [--zone-key PK=node.jwk ...] [--sequencer PK]',
  summary: 'write a signed example corridor package (zone keys, trust anchors, definition and agreement credentials) and the request bodies that take a node from DRAFT to ACTIVE',
  options: {
    id: { type: 'string' },
    out: { type: 'string' },
    zones: { type: 'string' },
    seed: { type: 'string' },
    // A shared corridor between nodes: each zone signs with its node's key, and one zone's node sequences.
    'zone-key': { type: 'string', multiple: true },
    sequencer: { type: 'string' },
  },
  async run({ values }, io) {
    const id = values.id;
    const out = values.out;
    if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,199}$/.test(id)) throw new CliProblem('usage', 'Invalid command line', '--id must be a corridor id (lower-case letters, digits, . _ -)');
    if (typeof out !== 'string' || out === '') throw new CliProblem('usage', 'Invalid command line', '--out DIR is required');
    const zones = typeof values.zones === 'string' ? values.zones.split(',').map((z) => z.trim().toUpperCase()) : undefined;
    if (zones && (zones.length < 2 || zones.some((z) => !/^[A-Z][A-Z0-9-]{1,15}$/.test(z)))) throw new CliProblem('usage', 'Invalid command line', '--zones takes two or more zone codes, e.g. PK,AE');
    const zoneKeys: Record<string, Ed25519KeyPair> = {};
    for (const spec of (values['zone-key'] as string[] | undefined) ?? []) {
      const at = spec.indexOf('=');
      if (at < 1) throw new CliProblem('usage', 'Invalid command line', `--zone-key takes ZONE=JWK-FILE, not ${JSON.stringify(spec)}`);
      const file = spec.slice(at + 1);
      let jwk: unknown;
      try {
        jwk = parseJsonText(await readFile(file, 'utf8'));
      } catch (e) {
        throw new CliProblem('usage', 'Invalid command line', `--zone-key ${spec}: cannot read a JWK from ${file}: ${(e as Error).message}`);
      }
      try {
        zoneKeys[spec.slice(0, at).toUpperCase()] = Ed25519KeyPair.fromJwk(jwk);
      } catch (e) {
        throw new CliProblem('usage', 'Invalid command line', `--zone-key ${spec}: ${(e as Error).message}`);
      }
    }
    const sequencer = typeof values.sequencer === 'string' ? values.sequencer.toUpperCase() : undefined;
    const codes = zones ?? ['PK', 'AE'];
    if (sequencer !== undefined && !codes.includes(sequencer)) throw new CliProblem('usage', 'Invalid command line', `--sequencer ${sequencer} is not one of the zones ${codes.join(', ')}`);
    for (const z of Object.keys(zoneKeys)) if (!codes.includes(z)) throw new CliProblem('usage', 'Invalid command line', `--zone-key names ${z}, which is not one of the zones ${codes.join(', ')}`);
    const c = buildExampleCorridor({ corridorId: id, zones, seed: values.seed as string | undefined, zoneKeys, sequencer });
    await mkdir(join(out, 'keys'), { recursive: true });
    const files: Record<string, string> = {};
    const put = async (name: string, content: string, mode = 0o644) => {
      await writeFile(join(out, name), content, { mode });
      files[name] = join(out, name);
    };
    for (const z of c.zones.filter((zone) => !zoneKeys[zone.code])) await put(`keys/zone-${z.code.toLowerCase()}.jwk`, JSON.stringify(z.key.toJwk({ includePrivate: true }), null, 2) + '\n', 0o600);
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
