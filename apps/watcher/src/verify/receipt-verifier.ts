import * as crypto from 'node:crypto';
import { canonicalize, compareCodePoints, MmrAccumulator, normalizeDigestSet, parseJsonText, type JsonObject, type MmrPeak } from '@corridor/protocol';
import { verifyDocumentProofs, type SignerPolicy } from './proofs';
import { SignerSchedule } from './signers';

/** Who signs: one policy for every sequence, or a schedule with key rotations. */
export type Signers = SignerPolicy | SignerSchedule;

const policyAt = (signers: Signers, sequence: number): SignerPolicy => (signers instanceof SignerSchedule ? signers.at(sequence) : signers);

export const CORRIDOR_RECEIPT_TYPE = 'MSEZCorridorStateReceipt';

/**
 * Why a receipt was not accepted, in the order the checks run. Cheap positional checks come before the expensive
 * ones, so a stream that skipped or replayed a receipt is told apart from a forged one without verifying signatures.
 */
export const RECEIPT_CHECKS = [
  'malformed',
  'wrong-type',
  'wrong-corridor',
  'gap',
  'rewind',
  'genesis-mismatch',
  'prev-root-mismatch',
  'digest-set-mismatch',
  'bad-next-root',
  'no-proof',
  'bad-proof',
  'not-sequencer',
  'unknown-signer',
  'bad-signature',
] as const;
export type ReceiptCheck = (typeof RECEIPT_CHECKS)[number];

/** What every chain of one corridor shares, whichever node serves it: pinned on first sight. */
export interface CorridorFacts {
  corridorId: string;
  /** Receipt 0's prev_root, recorded the first time any node serves a verified receipt 0. */
  genesisRoot: string | null;
  /** Canonical JSON of the normalized digest sets receipt 0 carries. */
  lawpackDigestSet: string | null;
  rulesetDigestSet: string | null;
}

/** A receipt that passed every check, with what the watcher keeps of it. */
export interface VerifiedReceipt {
  sequence: number;
  prevRoot: string;
  nextRoot: string;
  /** Canonical JSON of the whole receipt (proofs included): the bytes a fork alarm refers to. */
  canonical: string;
  /** Base DIDs of its proofs, in order. */
  signers: string[];
  /** Receipt 0 only: its normalized digest sets (canonical JSON), which the corridor pins. */
  digestSets?: { lawpack: string; ruleset: string };
}

export type ReceiptOutcome =
  | { ok: true; receipt: VerifiedReceipt }
  | { ok: false; check: ReceiptCheck; detail: string; sequence?: number; prevRoot?: string; nextRoot?: string };

/** The head of a verified chain: its last receipt and the MMR over every next_root from receipt 0. */
export interface ChainHead {
  /** -1 before receipt 0. */
  sequence: number;
  nextRoot: string | null;
  mmrSize: number;
  mmrRoot: string;
  mmrPeaks: MmrPeak[];
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A receipt's canonical forms, computed once from its members. */
interface CanonicalForms {
  obj: JsonObject;
  /** canonical(receipt) */
  full: string;
  /** canonical(receipt − proof): the signing input */
  signed: string;
  /** canonical(receipt − proof − next_root): next_root's preimage */
  sealed: string;
  lawpack: string | undefined;
  ruleset: string | undefined;
}

/**
 * Canonical JSON of an object member by member (keys in code-point order), so the three forms the protocol needs
 * (whole, without proof, without proof and next_root) cost one canonicalization.
 */
function canonicalForms(obj: JsonObject): CanonicalForms {
  const keys = Object.keys(obj).sort(compareCodePoints);
  let full = '';
  let signed = '';
  let sealed = '';
  let lawpack: string | undefined;
  let ruleset: string | undefined;
  for (const key of keys) {
    const value = canonicalize(obj[key]);
    const member = canonicalize(key) + ':' + value;
    full += full === '' ? member : ',' + member;
    if (key === 'proof') continue;
    signed += signed === '' ? member : ',' + member;
    if (key === 'next_root') continue;
    sealed += sealed === '' ? member : ',' + member;
    if (key === 'lawpack_digest_set') lawpack = value;
    else if (key === 'ruleset_digest_set') ruleset = value;
  }
  return { obj, full: '{' + full + '}', signed: '{' + signed + '}', sealed: '{' + sealed + '}', lawpack, ruleset };
}

/**
 * True when a value parsed by `JSON.parse` is already in canonical form as JSON.stringify prints it: object keys in
 * code-point order, every number a safe integer (no float, nothing rounded), every string well formed. Then
 * `JSON.stringify` of it (or of any member) is its canonical JSON.
 */
function isCanonicalShape(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed();
    case 'number':
      return Number.isSafeInteger(value) && !Object.is(value, -0);
    case 'boolean':
      return true;
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isCanonicalShape(value[i])) return false;
        return true;
      }
      const o = value as Record<string, unknown>;
      let prev: string | undefined;
      for (const k in o) {
        if (prev !== undefined && !(k > prev && compareCodePoints(prev, k) < 0)) return false;
        if (!k.isWellFormed() || !isCanonicalShape(o[k])) return false;
        prev = k;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * The fast path for canonical text (nodes serve canonical JSON): `JSON.parse`, a check that the parsed value is in
 * canonical shape, and each top-level member printed once by `JSON.stringify`; the text must then be exactly the
 * members joined. The three forms are joins of those members. Null when the text is not canonical.
 */
function canonicalFormsOfCanonicalText(text: string): CanonicalForms | null {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return null;
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || !isCanonicalShape(obj)) return null;
  const r = obj as JsonObject;
  let full = '';
  let signed = '';
  let sealed = '';
  let lawpack: string | undefined;
  let ruleset: string | undefined;
  for (const key in r) {
    const value = JSON.stringify(r[key]);
    const member = JSON.stringify(key) + ':' + value;
    full += full === '' ? member : ',' + member;
    if (key === 'proof') continue;
    signed += signed === '' ? member : ',' + member;
    if (key === 'next_root') continue;
    sealed += sealed === '' ? member : ',' + member;
    if (key === 'lawpack_digest_set') lawpack = value;
    else if (key === 'ruleset_digest_set') ruleset = value;
  }
  full = '{' + full + '}';
  if (full !== text) return null;
  return { obj: r, full, signed: '{' + signed + '}', sealed: '{' + sealed + '}', lawpack, ruleset };
}

/**
 * Parses receipt text. Canonical text (what nodes serve) takes the fast path above; anything else goes through
 * the protocol's strict parser, which decides on what the sender actually wrote (a float such as `1.0` is refused,
 * big integers stay exact, the last duplicate key wins), and is canonicalized member by member.
 */
export function parseReceiptText(text: string): CanonicalForms | { error: string } {
  const fast = canonicalFormsOfCanonicalText(text);
  if (fast !== null) return fast;
  try {
    const value = parseJsonText(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { error: 'a receipt must be a JSON object' };
    return canonicalForms(value as JsonObject);
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function sameDigestSet(canonicalValue: string | undefined, value: unknown, expected: string): boolean {
  if (canonicalValue === expected) return true;
  try {
    return canonicalize(normalizeDigestSet(value)) === expected;
  } catch {
    return false;
  }
}

/**
 * Verifies one node's copy of a corridor's state channel, receipt after receipt, from receipt 0: position
 * (sequence = head + 1), link (prev_root = the head's next_root, or the corridor's genesis root for receipt 0),
 * digest sets (receipt 0's), next_root recomputed, every proof valid and by a signer of the corridor (the first one
 * by the sequencer on a peered corridor), and the MMR over the next_roots. Holds no I/O: the daemon persists
 * `head()` after the receipts it verified.
 */
export class ChainVerifier {
  private seq: number;
  private next: string | null;
  private mmr: MmrAccumulator;

  constructor(
    readonly facts: CorridorFacts,
    public signers: Signers,
    from?: ChainHead,
  ) {
    if (from && from.sequence >= 0) {
      if (from.mmrSize !== from.sequence + 1 || from.nextRoot === null) throw new Error(`inconsistent chain head: sequence ${from.sequence}, MMR size ${from.mmrSize}`);
      this.mmr = MmrAccumulator.fromPeaks(from.mmrSize, from.mmrPeaks);
      if (this.mmr.root !== from.mmrRoot) throw new Error(`stored MMR peaks do not bag to the stored root at size ${from.mmrSize}`);
      this.seq = from.sequence;
      this.next = from.nextRoot;
    } else {
      this.mmr = new MmrAccumulator();
      this.seq = -1;
      this.next = null;
    }
  }

  /** Sequence of the last verified receipt (-1: none). */
  get sequence(): number {
    return this.seq;
  }

  get nextRoot(): string | null {
    return this.next;
  }

  get size(): number {
    return this.mmr.size;
  }

  get mmrRoot(): string {
    return this.mmr.root;
  }

  head(): ChainHead {
    return { sequence: this.seq, nextRoot: this.next, mmrSize: this.mmr.size, mmrRoot: this.mmr.root, mmrPeaks: this.mmr.peaks };
  }

  /** Verifies the receipt that should come next and, when it passes, appends it. */
  append(text: string): ReceiptOutcome {
    const outcome = this.verifyNext(text);
    if (outcome.ok) this.commit(outcome.receipt);
    return outcome;
  }

  /** Verifies the receipt that should come next, without appending it (see `commit`). */
  verifyNext(text: string): ReceiptOutcome {
    const forms = parseReceiptText(text);
    if ('error' in forms) return { ok: false, check: 'malformed', detail: `receipt is not usable JSON: ${forms.error}` };
    const r = forms.obj;
    const sequence = r.sequence;
    if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) return { ok: false, check: 'malformed', detail: 'sequence must be a non-negative integer' };
    const prevRoot = r.prev_root;
    const nextRoot = r.next_root;
    if (typeof prevRoot !== 'string' || !HEX64.test(prevRoot)) return { ok: false, check: 'malformed', detail: `receipt ${sequence}: prev_root must be 64 lowercase hex`, sequence };
    if (typeof nextRoot !== 'string' || !HEX64.test(nextRoot)) return { ok: false, check: 'malformed', detail: `receipt ${sequence}: next_root must be 64 lowercase hex`, sequence };
    const pos = { sequence, prevRoot, nextRoot };
    if (r.type !== CORRIDOR_RECEIPT_TYPE) return { ok: false, check: 'wrong-type', detail: `receipt ${sequence}: type ${JSON.stringify(r.type)} is not ${CORRIDOR_RECEIPT_TYPE}`, ...pos };
    if (r.corridor_id !== this.facts.corridorId) return { ok: false, check: 'wrong-corridor', detail: `receipt ${sequence} names corridor ${JSON.stringify(r.corridor_id)}, not ${this.facts.corridorId}`, ...pos };
    const expected = this.seq + 1;
    if (sequence > expected) return { ok: false, check: 'gap', detail: `receipt ${sequence} arrived when receipt ${expected} was expected`, ...pos };
    if (sequence < expected) return { ok: false, check: 'rewind', detail: `receipt ${sequence} arrived again after receipt ${this.seq} was verified`, ...pos };
    if (sequence === 0) {
      const genesis = this.facts.genesisRoot;
      if (genesis !== null && prevRoot !== genesis) return { ok: false, check: 'genesis-mismatch', detail: `receipt 0 starts from ${prevRoot}, not from the corridor's genesis root ${genesis}`, ...pos };
    } else if (prevRoot !== this.next) {
      return { ok: false, check: 'prev-root-mismatch', detail: `receipt ${sequence}: prev_root ${prevRoot} does not continue receipt ${this.seq} (next_root ${this.next})`, ...pos };
    }
    const content = checkReceiptContent(forms, this.facts, policyAt(this.signers, sequence), sequence);
    if (!content.ok) return { ...content, ...pos };
    const receipt: VerifiedReceipt = { sequence, prevRoot, nextRoot, canonical: forms.full, signers: content.signers };
    if (sequence === 0) {
      receipt.digestSets = { lawpack: canonicalize(normalizeDigestSet(r.lawpack_digest_set)), ruleset: canonicalize(normalizeDigestSet(r.ruleset_digest_set)) };
    }
    return { ok: true, receipt };
  }

  /**
   * Appends a receipt `verifyNext` accepted (and nothing else happened in between). Receipt 0 pins the corridor's
   * genesis root and digest sets when they were not known yet.
   */
  commit(receipt: VerifiedReceipt): void {
    if (receipt.sequence !== this.seq + 1) throw new Error(`commit of receipt ${receipt.sequence} after receipt ${this.seq}`);
    if (receipt.sequence === 0 && this.facts.genesisRoot === null && receipt.digestSets) {
      this.facts.genesisRoot = receipt.prevRoot;
      this.facts.lawpackDigestSet = receipt.digestSets.lawpack;
      this.facts.rulesetDigestSet = receipt.digestSets.ruleset;
    }
    this.mmr.appendNextRoot(receipt.nextRoot);
    this.seq = receipt.sequence;
    this.next = receipt.nextRoot;
  }
}

type ContentOutcome = { ok: true; signers: string[] } | { ok: false; check: ReceiptCheck; detail: string };

/** Digest sets, next_root and proofs: everything about a receipt that does not depend on its position. */
function checkReceiptContent(forms: CanonicalForms, facts: CorridorFacts, policy: SignerPolicy, sequence: number): ContentOutcome {
  const r = forms.obj;
  if (facts.lawpackDigestSet !== null && !sameDigestSet(forms.lawpack, r.lawpack_digest_set, facts.lawpackDigestSet)) {
    return { ok: false, check: 'digest-set-mismatch', detail: `receipt ${sequence}: lawpack_digest_set is not the corridor's (receipt 0's)` };
  }
  if (facts.rulesetDigestSet !== null && !sameDigestSet(forms.ruleset, r.ruleset_digest_set, facts.rulesetDigestSet)) {
    return { ok: false, check: 'digest-set-mismatch', detail: `receipt ${sequence}: ruleset_digest_set is not the corridor's (receipt 0's)` };
  }
  if (facts.lawpackDigestSet === null) {
    // First receipt ever seen of this corridor: its sets must at least be digest sets.
    try {
      normalizeDigestSet(r.lawpack_digest_set);
      normalizeDigestSet(r.ruleset_digest_set);
    } catch (e) {
      return { ok: false, check: 'malformed', detail: `receipt ${sequence}: ${(e as Error).message}` };
    }
  }
  const recomputed = crypto.hash('sha256', forms.sealed, 'hex');
  if (recomputed !== r.next_root) return { ok: false, check: 'bad-next-root', detail: `receipt ${sequence}: next_root ${r.next_root as string} does not recompute (the receipt's content hashes to ${recomputed})` };
  const proofs = verifyDocumentProofs(r.proof, Buffer.from(forms.signed, 'utf8'), policy, policy.peered, `receipt ${sequence}`);
  return proofs.ok ? { ok: true, signers: proofs.signers } : proofs;
}

/**
 * Verifies a receipt on its own — shape, corridor, digest sets, next_root, proofs — without its position: for a
 * receipt a node serves again (a replay, or a fork candidate found while investigating).
 */
export function verifyStandaloneReceipt(text: string, facts: CorridorFacts, signers: Signers): ReceiptOutcome {
  const forms = parseReceiptText(text);
  if ('error' in forms) return { ok: false, check: 'malformed', detail: `receipt is not usable JSON: ${forms.error}` };
  const r = forms.obj;
  const sequence = r.sequence;
  if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence < 0) return { ok: false, check: 'malformed', detail: 'sequence must be a non-negative integer' };
  const prevRoot = r.prev_root;
  const nextRoot = r.next_root;
  if (typeof prevRoot !== 'string' || !HEX64.test(prevRoot) || typeof nextRoot !== 'string' || !HEX64.test(nextRoot)) return { ok: false, check: 'malformed', detail: `receipt ${sequence}: prev_root and next_root must be 64 lowercase hex`, sequence };
  const pos = { sequence, prevRoot, nextRoot };
  if (r.type !== CORRIDOR_RECEIPT_TYPE) return { ok: false, check: 'wrong-type', detail: `receipt ${sequence}: type ${JSON.stringify(r.type)} is not ${CORRIDOR_RECEIPT_TYPE}`, ...pos };
  if (r.corridor_id !== facts.corridorId) return { ok: false, check: 'wrong-corridor', detail: `receipt ${sequence} names corridor ${JSON.stringify(r.corridor_id)}, not ${facts.corridorId}`, ...pos };
  if (sequence === 0 && facts.genesisRoot !== null && prevRoot !== facts.genesisRoot) return { ok: false, check: 'genesis-mismatch', detail: `receipt 0 starts from ${prevRoot}, not from the corridor's genesis root ${facts.genesisRoot}`, ...pos };
  const content = checkReceiptContent(forms, facts, policyAt(signers, sequence), sequence);
  if (!content.ok) return { ...content, ...pos };
  return { ok: true, receipt: { sequence, prevRoot, nextRoot, canonical: forms.full, signers: content.signers } };
}
