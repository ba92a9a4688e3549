import { relative, resolve } from 'node:path';
import {
  addProof,
  chainExpectations,
  checkpointFromChain,
  Ed25519KeyPair,
  inspectForks,
  isJsonObject,
  parseJsonText,
  receiptInclusionProofFromChain,
  verifyCheckpointAgainstChain,
  verifyCorridorChain,
  verifyReceiptInclusionProof,
  type ChainExpectations,
  type ChainOptions,
  type ChainVerification,
  type JsonObject,
} from '@corridor/protocol';
import { chainReport } from '../chain-report';
import { nowUtc, printJson, readJson, type CliIo } from '../cli-io';
import { readBundleFile } from '../audit/sources';
import { verifyBundle } from '../audit/verify-bundle';
import { CliProblem } from '../cli-problem';
import { loadCorridorModule, readJsonSources, readUtf8, type LoadedModule } from '../module-loader';
import { checkReceiptsInParallel } from '../parallel/parallel-check';
import type { Command } from './command';

type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

const COMMON_OPTIONS = {
  module: { type: 'string' },
  receipts: { type: 'string' },
  root: { type: 'string' },
  'fork-resolution': { type: 'string', multiple: true },
} as const;

function required(values: Values, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new CliProblem('usage', 'Invalid command line', `--${name} is required`);
  return v;
}

function list(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? (v as string[]) : typeof v === 'string' ? [v] : [];
}

interface ChainRun {
  loaded: LoadedModule;
  expected: ChainExpectations;
  verification: ChainVerification;
}

/** Loads the module, the receipts and the fork resolutions, and verifies the chain. */
async function runChain(values: Values, extra: ChainOptions = {}): Promise<ChainRun> {
  const loaded = await loadCorridorModule(required(values, 'module'), values.root as string | undefined);
  const expected = chainExpectations(loaded.module);
  const receipts = (await readJsonSources(required(values, 'receipts'), loaded.dir)).map(({ path, text }) => ({ path, text }));
  const forkResolutions = (await Promise.all(list(values, 'fork-resolution').map((p) => readJsonSources(p, loaded.dir)))).flat().map(({ path, text }) => ({ path, text }));
  const options: ChainOptions = {
    checkCanonicalBytes: values['check-canonical-bytes'] === true,
    enforceTrustAnchors: values['enforce-trust-anchors'] === true,
    enforceTransitionTypes: values['enforce-transition-types'] === true,
    enforceReceiptThreshold: values['enforce-receipt-threshold'] === true,
    requireSignedForkResolutions: values['require-signed-fork-resolutions'] === true,
    forkResolutions,
    ...extra,
  };
  const checked = await checkReceiptsInParallel(expected, receipts, options);
  const verification = verifyCorridorChain(expected, receipts, options, checked);
  return { loaded, expected, verification };
}

async function readCheckpoint(path: string): Promise<{ text: string; value: JsonObject }> {
  const text = await readUtf8(path);
  const value = parseJsonText(text);
  if (!isJsonObject(value)) throw new CliProblem('invalid-checkpoint', 'Invalid checkpoint', `${path} must hold a JSON object`);
  return { text, value };
}

export const chainVerifyCommand: Command = {
  words: ['chain', 'verify'],
  usage:
    'corridor chain verify (--module DIR --receipts DIR | --bundle FILE) [--root DIR] [--checkpoint FILE] [--from-checkpoint FILE] [--fork-resolution FILE|DIR]... [--check-canonical-bytes] [--enforce-trust-anchors] [--enforce-transition-types] [--enforce-receipt-threshold] [--require-signed-fork-resolutions]',
  summary:
    'verify a corridor receipt chain (a module and its receipts, or an auditor bundle offline): {valid, corridor_id, genesis_root, receipt_count, final_state_root, mmr, forks, warnings, errors}; exit 0 valid, 1 invalid',
  options: {
    ...COMMON_OPTIONS,
    bundle: { type: 'string' },
    checkpoint: { type: 'string' },
    'from-checkpoint': { type: 'string' },
    'check-canonical-bytes': { type: 'boolean' },
    'enforce-trust-anchors': { type: 'boolean' },
    'enforce-transition-types': { type: 'boolean' },
    'enforce-receipt-threshold': { type: 'boolean' },
    'require-signed-fork-resolutions': { type: 'boolean' },
  },
  async run({ values }, io) {
    if (values.bundle !== undefined) return verifyBundleFile(values, io);
    let fromCheckpoint: ChainOptions['fromCheckpoint'];
    if (typeof values['from-checkpoint'] === 'string') {
      const path = values['from-checkpoint'];
      fromCheckpoint = { path, text: await readUtf8(path) };
    }
    const { expected, verification } = await runChain(values, { fromCheckpoint });
    const out = chainReport(expected, verification);
    let valid = verification.valid;
    if (typeof values.checkpoint === 'string') {
      if (verification.result) {
        const ck = await readCheckpoint(values.checkpoint);
        const cv = verifyCheckpointAgainstChain({ path: values.checkpoint, text: ck.text }, verification.result, {
          checkCanonicalBytes: values['check-canonical-bytes'] === true,
          signingThresholds: values['enforce-receipt-threshold'] === true ? expected.checkpoint_signing_thresholds : undefined,
          roleByDid: expected.role_by_did,
        });
        out.checkpoint = { valid: cv.valid, signers: cv.signers, errors: cv.errors.map((e) => ({ ...e })) };
        valid = valid && cv.valid;
      } else {
        out.checkpoint = null;
      }
      out.valid = valid;
    }
    printJson(io, out);
    return valid ? 0 : 1;
  },
};

/** `chain verify --bundle FILE`: the bundle's state channel, checkpoints, lifecycle and consistency, offline. */
async function verifyBundleFile(values: Values, io: CliIo): Promise<number> {
  const file = required(values, 'bundle');
  for (const o of ['module', 'receipts', 'root', 'checkpoint', 'from-checkpoint', 'fork-resolution']) {
    if (values[o] !== undefined) throw new CliProblem('usage', 'Invalid command line', `--${o} cannot be combined with --bundle (the bundle holds the module, receipts, checkpoints and fork resolutions)`);
  }
  const loaded = await readBundleFile(file);
  const v = await verifyBundle(
    loaded.bundle,
    {
      enforceTrustAnchors: values['enforce-trust-anchors'] === true,
      enforceTransitionTypes: values['enforce-transition-types'] === true,
      enforceReceiptThreshold: values['enforce-receipt-threshold'] === true,
      requireSignedForkResolutions: values['require-signed-fork-resolutions'] === true,
    },
    { declaredSha256: loaded.declaredSha256, computedSha256: loaded.computedSha256, canonical: loaded.canonical },
  );
  printJson(io, v.report);
  return v.valid ? 0 : 1;
}

export const chainCheckpointCommand: Command = {
  words: ['chain', 'checkpoint'],
  usage: 'corridor chain checkpoint --module DIR --receipts DIR [--root DIR] [--fork-resolution FILE|DIR]... [--timestamp TS] [--key JWK]... [--verification-method VM]',
  summary: 'print the checkpoint of the verified chain head (canonical JSON), signed with each --key; exit 1 (with the report) if the chain does not verify',
  options: { ...COMMON_OPTIONS, timestamp: { type: 'string' }, key: { type: 'string', multiple: true }, 'verification-method': { type: 'string' } },
  async run({ values }, io) {
    const { expected, verification } = await runChain(values);
    if (!verification.result) {
      printJson(io, chainReport(expected, verification));
      return 1;
    }
    const timestamp = (values.timestamp as string | undefined) ?? nowUtc(io);
    let checkpoint = checkpointFromChain(verification.result, timestamp);
    const keys = list(values, 'key');
    const vm = values['verification-method'] as string | undefined;
    if (vm !== undefined && keys.length !== 1) throw new CliProblem('usage', 'Invalid command line', '--verification-method needs exactly one --key');
    for (const keyFile of keys) {
      const key = Ed25519KeyPair.fromJwk(await readJson(io, keyFile));
      // The reference CLI signs corridor state with `<did>#key-1` unless told otherwise.
      checkpoint = addProof(checkpoint, key, { created: timestamp, verificationMethod: vm ?? `${key.did}#key-1` });
    }
    printJson(io, checkpoint);
    return 0;
  },
};

export const chainProveCommand: Command = {
  words: ['chain', 'prove'],
  usage: 'corridor chain prove --module DIR --receipts DIR --sequence N --checkpoint FILE [--root DIR] [--fork-resolution FILE|DIR]... [--generated-at TS]',
  summary: 'print the inclusion proof of one receipt against a checkpoint of the verified chain (MSEZCorridorReceiptInclusionProof)',
  options: { ...COMMON_OPTIONS, sequence: { type: 'string' }, checkpoint: { type: 'string' }, 'generated-at': { type: 'string' } },
  async run({ values }, io) {
    const seqText = required(values, 'sequence');
    if (!/^\d+$/.test(seqText)) throw new CliProblem('usage', 'Invalid command line', '--sequence must be a non-negative integer');
    const checkpointPath = required(values, 'checkpoint');
    const { loaded, expected, verification } = await runChain(values);
    if (!verification.result) {
      printJson(io, chainReport(expected, verification));
      return 1;
    }
    const ck = await readCheckpoint(checkpointPath);
    const proof = receiptInclusionProofFromChain(verification.result, Number(seqText), (values['generated-at'] as string | undefined) ?? nowUtc(io), {
      value: ck.value,
      path: relative(loaded.dir, resolve(checkpointPath)),
    });
    printJson(io, proof);
    return 0;
  },
};

export const chainVerifyProofCommand: Command = {
  words: ['chain', 'verify-proof'],
  usage: 'corridor chain verify-proof --receipt FILE --proof FILE --checkpoint FILE [--module DIR] [--root DIR] [--enforce-trust-anchors]',
  summary: 'verify that a receipt is included in the MMR of a signed checkpoint: {valid, check?, message?}; exit 0 valid, 1 invalid',
  options: { receipt: { type: 'string' }, proof: { type: 'string' }, checkpoint: { type: 'string' }, module: { type: 'string' }, root: { type: 'string' }, 'enforce-trust-anchors': { type: 'boolean' } },
  async run({ values }, io) {
    const receipt = await readJson(io, required(values, 'receipt'));
    const proof = await readJson(io, required(values, 'proof'));
    const checkpoint = await readJson(io, required(values, 'checkpoint'));
    if (!isJsonObject(receipt)) throw new CliProblem('invalid-receipt', 'Invalid receipt', 'the receipt must be a JSON object');
    if (!isJsonObject(checkpoint)) throw new CliProblem('invalid-checkpoint', 'Invalid checkpoint', 'the checkpoint must be a JSON object');
    let corridorId: string | undefined;
    let trustAnchors: ChainExpectations['trust_anchors'];
    if (typeof values.module === 'string') {
      const expected = chainExpectations((await loadCorridorModule(values.module, values.root as string | undefined)).module);
      corridorId = expected.corridor_id;
      if (values['enforce-trust-anchors'] === true) trustAnchors = expected.trust_anchors;
    }
    const v = verifyReceiptInclusionProof({ proof, receipt, checkpoint, corridor_id: corridorId, trust_anchors: trustAnchors });
    printJson(io, v);
    return v.valid ? 0 : 1;
  },
};

export const chainForkInspectCommand: Command = {
  words: ['chain', 'fork-inspect'],
  usage: 'corridor chain fork-inspect --module DIR --receipts DIR [--root DIR] [--fork-resolution FILE|DIR]... [--from-checkpoint FILE] [--no-verify-proofs] [--enforce-trust-anchors]',
  summary: 'forensic report of fork points, candidates, signers, resolutions and the canonical head (MSEZCorridorForkInspectReport)',
  options: { ...COMMON_OPTIONS, 'from-checkpoint': { type: 'string' }, 'no-verify-proofs': { type: 'boolean' }, 'enforce-trust-anchors': { type: 'boolean' } },
  async run({ values }, io) {
    const loaded = await loadCorridorModule(required(values, 'module'), values.root as string | undefined);
    const expected = chainExpectations(loaded.module);
    const receipts = (await readJsonSources(required(values, 'receipts'), loaded.dir)).map(({ path, text }) => ({ path, text }));
    const forkResolutions = (await Promise.all(list(values, 'fork-resolution').map((p) => readJsonSources(p, loaded.dir)))).flat().map(({ path, text }) => ({ path, text }));
    const fromPath = values['from-checkpoint'];
    const fromCheckpoint = typeof fromPath === 'string' ? { path: relative(loaded.dir, resolve(fromPath)), text: await readUtf8(fromPath) } : undefined;
    const r = inspectForks(expected, receipts, {
      forkResolutions,
      fromCheckpoint,
      verifyProofs: values['no-verify-proofs'] !== true,
      enforceTrustAnchors: values['enforce-trust-anchors'] === true,
    });
    printJson(io, r);
    return 0;
  },
};

export const CHAIN_COMMANDS: Command[] = [chainVerifyCommand, chainCheckpointCommand, chainProveCommand, chainVerifyProofCommand, chainForkInspectCommand];
