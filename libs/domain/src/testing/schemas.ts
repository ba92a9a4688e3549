import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';

/**
 * Every JSON Schema of the schemas package, compiled with the options the protocol's validator uses (strict,
 * formats as annotations), so a schema that passes here also loads there.
 */
let ajv: Ajv2020 | undefined;

function instance(): Ajv2020 {
  if (ajv) return ajv;
  const a = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, validateFormats: false });
  const dir = path.dirname(require.resolve('@corridor/schemas/package.json'));
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.schema.json'))) {
    a.addSchema(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as object);
  }
  ajv = a;
  return a;
}

export function schemaValidatorFor(fileName: string): ValidateFunction {
  const v = instance().getSchema(`https://corridor-ledger.dev/schemas/${fileName}`);
  if (!v) throw new Error(`no schema ${fileName}`);
  return v;
}

/** The schema's errors for `value`, one line each; empty when valid. */
export function schemaErrors(fileName: string, value: unknown): string[] {
  const v = schemaValidatorFor(fileName);
  return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}
