/**
 * The registry of transition kinds an ACTIVE corridor records (`@corridor/governance/transition-kinds.json`).
 * A kind is a dotted name of at least two segments; an entry `prefix.*` admits every kind below that prefix.
 */

export interface TransitionKindEntry {
  readonly match: string;
  readonly description: string;
  /** File name of the payload's JSON Schema in the schemas package, or null for a free-form payload. */
  readonly payloadSchema: string | null;
}

export interface TransitionKindRegistry {
  readonly version: number;
  readonly entries: readonly TransitionKindEntry[];
  /** The entry admitting `kind`, or undefined when the registry does not admit it. */
  find(kind: string): TransitionKindEntry | undefined;
}

export const TRANSITION_KIND_SYNTAX = /^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)+$/;
const FAMILY = /^[a-z][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*\.\*$/;

function admits(match: string, kind: string): boolean {
  if (match.endsWith('.*')) return kind.startsWith(match.slice(0, -1)) && kind.length > match.length - 1;
  return kind === match;
}

export function loadTransitionKinds(doc: unknown): TransitionKindRegistry {
  const bad = (why: string): never => {
    throw new Error(`transition-kind registry governance file: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad('must be a JSON object');
  const d = doc as Record<string, unknown>;
  if (typeof d.version !== 'number' || !Number.isSafeInteger(d.version) || d.version < 1) bad('version must be a positive integer');
  if (!Array.isArray(d.kinds) || d.kinds.length === 0) return bad('kinds must be a non-empty list');
  const entries: TransitionKindEntry[] = d.kinds.map((k: unknown, i: number) => {
    if (typeof k !== 'object' || k === null || Array.isArray(k)) return bad(`kinds[${i}] must be an object`);
    const e = k as Record<string, unknown>;
    if (typeof e.match !== 'string' || !(FAMILY.test(e.match) || TRANSITION_KIND_SYNTAX.test(e.match))) {
      return bad(`kinds[${i}].match ${JSON.stringify(e.match)} is neither a kind nor a 'prefix.*' family`);
    }
    if (typeof e.description !== 'string' || e.description === '') bad(`kinds[${i}].description is missing`);
    const schema = e.payload_schema ?? null;
    if (schema !== null && (typeof schema !== 'string' || !schema.endsWith('.schema.json'))) {
      bad(`kinds[${i}].payload_schema must be null or a '*.schema.json' file name`);
    }
    return { match: e.match, description: e.description as string, payloadSchema: schema as string | null };
  });
  if (new Set(entries.map((e) => e.match)).size !== entries.length) bad('an entry is listed twice');
  return {
    version: d.version as number,
    entries,
    find: (kind) => (TRANSITION_KIND_SYNTAX.test(kind) ? entries.find((e) => admits(e.match, kind)) : undefined),
  };
}
