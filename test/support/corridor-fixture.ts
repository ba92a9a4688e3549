import { parse as parseYaml } from 'yaml';
import { canonicalize, Ed25519KeyPair, parseJsonText, type CorridorModule, type JsonObject } from '@corridor/protocol';
import { loadVectors } from './vectors';

/**
 * The corridor of corridor-chain.json as the protocol sees it: module files parsed, receipt files as the reference
 * wrote them (canonical JSON + LF), and the dev keys. Everything is taken from the vector file.
 */
export const chainVectors = loadVectors('corridor-chain.json');

const files: Record<string, string> = chainVectors.corridor.module_dir_files;

export function corridorModule(): CorridorModule {
  const manifest = parseYaml(files['corridor.yaml']) as JsonObject;
  const agreementVcs: Record<string, JsonObject> = {};
  for (const p of manifest.agreement_vc_path as string[]) agreementVcs[p] = parseJsonText(files[p]) as JsonObject;
  const rulesetDescriptors: CorridorModule['rulesetDescriptors'] = {};
  for (const [id, d] of Object.entries<any>(chainVectors.corridor.ruleset_descriptors)) rulesetDescriptors[id] = d.content;
  return {
    manifest,
    definitionVc: parseJsonText(files[manifest.definition_vc_path as string]) as JsonObject,
    agreementVcs,
    trustAnchors: parseYaml(files['trust-anchors.yaml']),
    rulesetDescriptors,
  };
}

/** The text of a receipt file as the reference writes it: canonical JSON and one LF. */
export function fileText(doc: unknown): string {
  return canonicalize(doc) + '\n';
}

/** `rNN.json` → the signed receipt of sequence NN, as file text. */
export function receiptFile(name: string): { path: string; text: string } {
  const m = /^r(\d\d)\.json$/.exec(name);
  if (!m) throw new Error(`not a plain receipt file name: ${name}`);
  return { path: name, text: fileText(chainVectors.receipts[Number(m[1])].signed_receipt) };
}

export const signedReceipts: JsonObject[] = chainVectors.receipts.map((r: any) => r.signed_receipt);

export const zoneKeys: Record<string, Ed25519KeyPair> = {
  a: Ed25519KeyPair.fromJwk(chainVectors.corridor.signer_key_files['zone-a.ed25519.jwk']),
  b: Ed25519KeyPair.fromJwk(chainVectors.corridor.signer_key_files['zone-b.ed25519.jwk']),
};

/** Watcher keys: the public JWK plus its private part, as the vector lists them. */
export const watcherKeys: Record<string, Ed25519KeyPair> = Object.fromEntries(
  chainVectors.watcher.watchers.map((w: any) => [w.tag, Ed25519KeyPair.fromJwk({ ...w.jwk_public, d: w.jwk_private_d })]),
);
