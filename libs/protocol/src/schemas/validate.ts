import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';

/**
 * The project's JSON Schemas (package `@corridor/schemas`, draft 2020-12), compiled once with ajv and reused.
 *
 * `format` is an annotation here, not an assertion: the reference validates without a format checker, so a
 * receipt whose `timestamp` is not RFC 3339 is still schema-valid there, and must be here for the two to reach the
 * same decisions. (Timestamps are committed by next_root exactly as written; proof `created` is checked by proof
 * verification.)
 */
export type SchemaName =
  | 'artifact-ref'
  | 'proof'
  | 'transition-envelope'
  | 'corridor.receipt'
  | 'corridor.checkpoint'
  | 'corridor.inclusion-proof'
  | 'corridor.fork-resolution'
  | 'vc'
  | 'vc.corridor-fork-alarm'
  | 'vc.corridor-watcher-attestation'
  | 'vc.corridor-fork-resolution';

export const SCHEMA_BASE_URI = 'https://corridor-ledger.dev/schemas/';

const SCHEMA_NAMES: SchemaName[] = [
  'artifact-ref',
  'proof',
  'transition-envelope',
  'corridor.receipt',
  'corridor.checkpoint',
  'corridor.inclusion-proof',
  'corridor.fork-resolution',
  'vc',
  'vc.corridor-fork-alarm',
  'vc.corridor-watcher-attestation',
  'vc.corridor-fork-resolution',
];

export interface SchemaValidation {
  ok: boolean;
  /** One line per violation: `<JSON pointer> <message>`; empty when ok. */
  errors: string[];
}

let ajv: Ajv2020 | undefined;
const compiled = new Map<SchemaName, ValidateFunction>();

function instance(): Ajv2020 {
  if (ajv) return ajv;
  const a = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, validateFormats: false });
  for (const name of SCHEMA_NAMES) {
    a.addSchema(require(`@corridor/schemas/${name}.schema.json`) as object);
  }
  ajv = a;
  return a;
}

/** The compiled validator of one schema (compiled on first use, then cached). */
export function schemaValidator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    v = instance().getSchema(`${SCHEMA_BASE_URI}${name}.schema.json`);
    if (!v) throw new Error(`schema not registered: ${name}`);
    compiled.set(name, v);
  }
  return v;
}

/** The raw schema document, e.g. for a test that inspects its keywords. */
export function schemaDocument(name: SchemaName): Record<string, unknown> {
  return require(`@corridor/schemas/${name}.schema.json`) as Record<string, unknown>;
}

export function validateSchema(name: SchemaName, value: unknown): SchemaValidation {
  const v = schemaValidator(name);
  if (v(value)) return { ok: true, errors: [] };
  return { ok: false, errors: formatErrors(v.errors ?? []) };
}

/**
 * ajv reports every failed branch of an anyOf; the useful line is usually the deepest one. We keep all lines,
 * most specific first, without duplicates.
 */
function formatErrors(errors: ErrorObject[]): string[] {
  const lines = errors
    .slice()
    .sort((a, b) => b.instancePath.length - a.instancePath.length)
    .map((e) => {
      const where = e.instancePath || '/';
      if (e.keyword === 'additionalProperties') return `${where} has an unexpected property ${JSON.stringify((e.params as { additionalProperty: string }).additionalProperty)}`;
      if (e.keyword === 'required') return `${where} is missing the required property ${JSON.stringify((e.params as { missingProperty: string }).missingProperty)}`;
      if (e.keyword === 'const') return `${where} must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
      return `${where} ${e.message ?? e.keyword}`;
    });
  return [...new Set(lines)];
}
