import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { corridor } from '@corridor/domain';
import { isJsonObject } from '@corridor/protocol';
import { ProblemException } from '../../http/problem';

const SCHEMAS_DIR = dirname(require.resolve('@corridor/schemas/package.json'));

/**
 * The API edge's check of a transition's payload: when the governance registry names a JSON Schema for the
 * transition's kind (e.g. `arbitration.enforcement.*`, `migration.step.*`), the payload must satisfy it. Free-form
 * kinds pass through. The schemas are the project's own (`schemas/`), compiled once with ajv.
 */
@Injectable()
export class TransitionPayloadValidator {
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv: Ajv2020;

  constructor() {
    this.ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    for (const file of readdirSync(SCHEMAS_DIR).filter((f) => f.endsWith('.schema.json'))) {
      this.ajv.addSchema(require(join(SCHEMAS_DIR, file)) as object);
    }
  }

  check(transition: unknown): void {
    if (!isJsonObject(transition) || typeof transition.kind !== 'string') return; // the decider explains what is wrong
    const schemaFile = corridor.TRANSITION_KINDS.find(transition.kind)?.payloadSchema;
    if (!schemaFile) return;
    const validate = this.validator(schemaFile);
    if (validate(transition.payload)) return;
    const errors = (validate.errors ?? []).map((e) => ({ pointer: `/transition/payload${e.instancePath}`, detail: `${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}` }));
    throw new ProblemException(422, 'invalid-transition-payload', 'Invalid transition payload', `the payload of ${transition.kind} does not satisfy ${schemaFile}: ${errors.map((e) => `${e.pointer} ${e.detail}`).join('; ')}`, { errors });
  }

  private validator(schemaFile: string): ValidateFunction {
    let v = this.validators.get(schemaFile);
    if (!v) {
      v = this.ajv.getSchema(`https://corridor-ledger.dev/schemas/${schemaFile}`);
      if (!v) throw new Error(`governance names a payload schema that does not exist: ${schemaFile}`);
      this.validators.set(schemaFile, v);
    }
    return v;
  }
}
