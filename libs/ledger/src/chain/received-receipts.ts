import {
  TRANSITION_ENVELOPE_TYPE,
  canonicalize,
  computeNextRoot,
  isDigest,
  isJsonObject,
  makeTransitionEnvelope,
  parseJsonText,
  verifyProofs,
  type JsonObject,
  type JsonValue,
} from '@corridor/protocol';
import { InvalidAppendError } from '../port/errors';
import type { ChainProfile } from './chain-profile';

/** A receipt built and signed by another node (a corridor's sequencer), with the type of the event that stores it. */
export interface ReceivedReceipt {
  /** The stored event's type (what a local append takes from the domain event). */
  readonly type: string;
  /** The signed receipt exactly as the sequencer built it (proofs included). */
  readonly receipt: JsonObject;
}

/** A received receipt that passed every check that does not need the stream's head. */
export interface CheckedReceipt {
  readonly type: string;
  /** A private copy, parsed from `text` (later changes to the caller's object cannot reach the store). */
  readonly receipt: JsonObject;
  /** Canonical JSON text of the receipt: what is stored, byte for byte. */
  readonly text: string;
  readonly sequence: number;
  readonly prevRoot: string;
  readonly nextRoot: string;
}

/** The fields every receipt carries besides the profile's subject and extra fields. */
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const STANDARD_FIELDS = ['type', 'sequence', 'timestamp', 'prev_root', 'lawpack_digest_set', 'ruleset_digest_set', 'transition', 'next_root', 'proof'];
const MAX_DEPTH = 512;

/**
 * Checks receipts received from a peer for the append of `receipts` right after revision `firstSequence − 1`,
 * everything but the link of the first one to the stream's head (which only the stream's lane knows):
 *
 * - the input is strict JSON: plain objects and arrays, well-formed strings, safe integers (or `bigint`), booleans,
 *   null — nothing `canonicalize` would drop, round or reinterpret;
 * - the stored event type is a non-empty string not starting with `$`;
 * - the receipt has exactly the fields a local append with this profile writes, plus `proof`: the profile's receipt
 *   `type`, subject field and id, extra fields (canonically equal), `sequence` = `firstSequence + i` (a safe
 *   integer), a `timestamp` string that is a date, `prev_root` a digest (the genesis root at sequence 0, the previous
 *   receipt's `next_root` within the append), the profile's lawpack and ruleset digest sets (as sets), a valid
 *   transition envelope (`payload_sha256` matching its payload), a `next_root` that recomputes (`computeNextRoot`),
 *   and a `proof` (an object or a non-empty array of them) every one of which verifies (`verifyProofs`).
 *
 * Which key must have signed (the corridor's sequencer, its co-signers) is the caller's knowledge: it checks the
 * signers against the corridor's anchors before appending. Throws `InvalidAppendError` naming the receipt's
 * sequence (the one it must have) and the failed check.
 */
export function checkReceivedReceipts(profile: ChainProfile, receipts: readonly unknown[], firstSequence: number): CheckedReceipt[] {
  const out: CheckedReceipt[] = [];
  const extra = profile.extraFields ?? {};
  // The fields whose values the profile fixes, as a local append writes them (extra fields last, so they win).
  const fixed: JsonObject = { type: profile.receiptType, [profile.subjectField]: profile.subjectId, ...extra };
  const fixedText = new Map(Object.entries(fixed).map(([k, v]) => [k, canonicalize(v)]));
  const fields = new Set([...STANDARD_FIELDS, ...Object.keys(fixed)]);
  const lawpacks = sortedSet(profile.lawpackDigestSet);
  const rulesets = sortedSet(profile.rulesetDigestSet);

  receipts.forEach((item, i) => {
    const sequence = firstSequence + i;
    const invalid = (what: string) => new InvalidAppendError(`receipt ${sequence}: ${what}`);
    if (!isPlainObject(item)) throw invalid(`not an object {type, receipt}: ${describe(item)}`);
    const type = item.type;
    if (typeof type !== 'string' || type.length === 0 || type.startsWith('$') || !type.isWellFormed()) {
      throw invalid(`the event type must be a non-empty string not starting with "$", got ${describe(type)}`);
    }
    if (!isPlainObject(item.receipt)) throw invalid(`the receipt is not a JSON object: ${describe(item.receipt)}`);
    const issue = jsonIssue(item.receipt, 'receipt', 0);
    if (issue) throw invalid(issue);

    // From here on only a private copy is looked at: what is checked is what is stored.
    let text: string;
    let receipt: JsonObject;
    try {
      text = canonicalize(item.receipt);
      receipt = parseJsonText(text) as JsonObject;
    } catch (e) {
      throw invalid(`the receipt is not canonical JSON: ${(e as Error).message}`);
    }

    for (const field of Object.keys(receipt)) if (!fields.has(field)) throw invalid(`${field} is not a field of this chain's receipts`);
    for (const field of fields) if (!Object.hasOwn(receipt, field)) throw invalid(`${field} is missing`);
    for (const [field, expected] of fixedText) {
      if (canonicalize(receipt[field]) === expected) continue;
      const what = field === 'type' ? 'receipt type' : field === profile.subjectField ? `subject (${field})` : field;
      throw invalid(`${field} ${describe(receipt[field])} is not this chain's ${what} ${describe(fixed[field])}`);
    }

    const seq = receipt.sequence;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) throw invalid(`sequence must be a safe integer, got ${describe(seq)}`);
    if (seq !== sequence) throw invalid(`sequence is ${seq}, expected ${sequence} (${sequence === 0 ? 'the first of the stream' : `the next after revision ${sequence - 1}`})`);

    const timestamp = receipt.timestamp;
    // RFC 3339 in UTC, as every node writes it (`Date.parse` alone would take "0" for the year 2000).
    if (typeof timestamp !== 'string' || !RFC3339_UTC.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
      throw invalid(`timestamp must be an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SS[.fff]Z), got ${describe(timestamp)}`);
    }

    const prevRoot = receipt.prev_root;
    if (!isDigest(prevRoot)) throw invalid(`prev_root must be a digest (64 lowercase hex), got ${describe(prevRoot)}`);
    if (sequence === 0 && prevRoot !== profile.genesisRoot) throw invalid(`prev_root ${short(prevRoot)} is not the chain's genesis root ${short(profile.genesisRoot)}`);
    const previous = out[out.length - 1];
    if (previous && prevRoot !== previous.nextRoot) throw invalid(`prev_root ${short(prevRoot)} does not continue receipt ${previous.sequence} (next_root ${short(previous.nextRoot)})`);

    const setIssue = digestSetIssue(receipt.lawpack_digest_set, lawpacks, 'lawpack_digest_set') ?? digestSetIssue(receipt.ruleset_digest_set, rulesets, 'ruleset_digest_set');
    if (setIssue) throw invalid(setIssue);

    const nextRoot = receipt.next_root;
    if (!isDigest(nextRoot)) throw invalid(`next_root must be a digest (64 lowercase hex), got ${describe(nextRoot)}`);
    const computed = computeNextRoot(receipt);
    if (computed !== nextRoot) throw invalid(`next_root ${short(nextRoot)} does not recompute: the receipt's content hashes to ${short(computed)}`);

    const transition = receipt.transition;
    if (!isJsonObject(transition) || transition.type !== TRANSITION_ENVELOPE_TYPE) throw invalid(`transition is not a ${TRANSITION_ENVELOPE_TYPE}`);
    let envelope: string;
    try {
      envelope = canonicalize(makeTransitionEnvelope(transition));
    } catch (e) {
      throw invalid(`transition is not a valid envelope: ${(e as Error).message}`);
    }
    if (envelope !== canonicalize(transition)) throw invalid('transition is not a valid envelope: payload_sha256 is missing or not written as the envelope writes it (64 lowercase hex)');

    const proof = receipt.proof;
    const proofs = Array.isArray(proof) ? proof : [proof];
    if (proofs.length === 0 || !proofs.every(isJsonObject)) throw invalid('proof must be an object or a non-empty array of objects');

    // Last, being the most expensive: every proof must verify (a proof that does not would stay in the chain forever).
    const results = verifyProofs(receipt);
    const failed = results.findIndex((r) => !r.ok);
    if (failed >= 0) {
      const r = results[failed]!;
      throw invalid(`proof ${failed} (${r.verificationMethod || 'no verificationMethod'}) does not verify: ${r.check}: ${r.error}`);
    }

    out.push({ type, receipt, text, sequence, prevRoot, nextRoot });
  });
  return out;
}

function digestSetIssue(value: JsonValue | undefined, expected: string, field: string): string | undefined {
  if (!Array.isArray(value) || !value.every((d) => typeof d === 'string')) return `${field} must be an array of strings, got ${describe(value)}`;
  if (new Set(value).size !== value.length) return `${field} ${describe(value)} lists a digest twice`;
  if (sortedSet(value as string[]) !== expected) return `${field} ${describe(value)} is not this chain's ${expected} (compared as sets)`;
  return undefined;
}

/** A digest set in a form that compares as a set (as the protocol's chain verification compares them). */
function sortedSet(digests: readonly string[]): string {
  return canonicalize([...new Set(digests)].sort());
}

/** An object literal (or `Object.create(null)`), of any realm: its prototype, if any, is a root `Object.prototype`. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** The first place where `value` is not strict JSON of the protocol's data model, or undefined. */
function jsonIssue(value: unknown, path: string, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? undefined : `${path} contains a lone surrogate`;
    case 'number':
      return Number.isSafeInteger(value) ? undefined : `${path} is ${String(value)}, not a safe integer (floats are not JSON of the protocol; large integers must be bigint)`;
    case 'bigint':
    case 'boolean':
      return undefined;
    case 'object': {
      if (value === null) return undefined;
      if (depth >= MAX_DEPTH) return `${path} nests deeper than ${MAX_DEPTH}`;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const issue = jsonIssue(value[i], `${path}[${i}]`, depth + 1);
          if (issue) return issue;
        }
        return undefined;
      }
      if (!isPlainObject(value)) return `${path} is not a plain object`;
      for (const key of Object.keys(value)) {
        if (!key.isWellFormed()) return `${path} has a key with a lone surrogate`;
        const issue = jsonIssue(value[key], `${path}.${key}`, depth + 1);
        if (issue) return issue;
      }
      return undefined;
    }
    default:
      return `${path} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, not JSON`;
  }
}

function short(digest: string): string {
  return `${digest.slice(0, 16)}…`;
}

function describe(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'bigint' ? `${value}` : (JSON.stringify(value) ?? String(value));
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
