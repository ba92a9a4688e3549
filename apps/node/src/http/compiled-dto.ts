import Ajv, { type ValidateFunction } from 'ajv';
import { getMetadataStorage, validateSync, ValidationError, ValidationTypes, type ValidatorOptions } from 'class-validator';
import { ProblemException, type ProblemFieldError } from './problem';

type DtoClass<T = object> = new () => T;

/** The options every DTO is validated with (also those of the global ValidationPipe, see validation.ts). */
export const DTO_VALIDATOR_OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};

/** Flattens class-validator errors into JSON Pointers into the request body. */
export function fieldErrors(errors: ValidationError[], prefix = ''): ProblemFieldError[] {
  const out: ProblemFieldError[] = [];
  for (const e of errors) {
    const pointer = `${prefix}/${e.property}`;
    for (const message of Object.values(e.constraints ?? {})) out.push({ pointer, detail: message });
    if (e.children?.length) out.push(...fieldErrors(e.children, pointer));
  }
  return out;
}

/** The node's one problem for an invalid request body: 400 invalid-request, every offending field listed. */
export function invalidRequest(errors: ValidationError[]): ProblemException {
  const list = fieldErrors(errors);
  return new ProblemException(400, 'invalid-request', 'Invalid request body', list.map((f) => `${f.pointer}: ${f.detail}`).join('; ') || 'the request body is invalid', { errors: list });
}

/** class-validator rules with an exact JSON Schema counterpart over JSON values (what the body parser yields). */
const SCHEMA_OF: Record<string, object> = {
  isObject: { type: 'object' },
  isString: { type: 'string' },
};

/**
 * A DTO validated without class-transformer or the ValidationPipe machinery: its class-validator rules, compiled once
 * into an equivalent JSON Schema (ajv) that decides whether a body is accepted. class-validator itself runs only for a
 * body the schema refuses, to name every offending field exactly as it does for every other DTO (and, were the two ever
 * to disagree, its verdict is the one that counts). The DTO instance is built from the body's own properties:
 *
 * - nothing of the body is dropped or rewritten (the global ValidationPipe deletes `__proto__`, `constructor` and
 *   `prototype` keys at every depth, which would change a transition's payload — and so its `payload_sha256` — behind
 *   the client's back; here such a key is data like any other, and an unknown one at the top level is refused);
 * - only DTOs whose every rule is in `SCHEMA_OF` (flat DTOs: no nested classes, groups, conditions or `each`) can be
 *   compiled; anything else throws when the DTO is registered, so a rule is never silently skipped.
 */
export class CompiledDto<T extends object> {
  private readonly accept: ValidateFunction;
  private readonly properties: readonly string[];
  /** The JSON Schema the DTO's rules compiled to (for tests and the record). */
  readonly schema: object;

  constructor(private readonly dto: DtoClass<T>) {
    const metadatas = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
    const byProperty = new Map<string, object[]>();
    for (const m of metadatas) {
      const rule = m.type === ValidationTypes.CUSTOM_VALIDATION ? SCHEMA_OF[m.name ?? ''] : undefined;
      if (!rule || m.each || (m.groups && m.groups.length > 0) || m.always !== undefined || m.message !== undefined || m.context !== undefined) {
        throw new Error(`${dto.name}.${m.propertyName}: the rule ${m.name ?? m.type} cannot be compiled to a JSON Schema; validate ${dto.name} with the ValidationPipe`);
      }
      byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), rule]);
    }
    if (byProperty.size === 0) throw new Error(`${dto.name} has no class-validator rules to compile`);
    this.properties = [...byProperty.keys()];
    const properties: Record<string, object> = {};
    for (const [p, rules] of byProperty) properties[p] = rules.length === 1 ? rules[0]! : { allOf: rules };
    this.schema = { type: 'object', required: [...this.properties], properties, additionalProperties: false };
    this.accept = new Ajv({ allErrors: false, strict: true }).compile(this.schema);
  }

  /** The DTO built from `body`, or the 400 invalid-request problem listing every offending field. */
  validate(body: unknown): T {
    const value = body ?? {}; // no body at all: every required field is missing (as the ValidationPipe has it)
    if (this.accept(value)) {
      const dto = new this.dto();
      for (const p of this.properties) (dto as Record<string, unknown>)[p] = (value as Record<string, unknown>)[p];
      return dto;
    }
    const errors = this.explain(value);
    if (errors.length > 0) throw invalidRequest(errors);
    // Never reached while the schema is the rules' exact counterpart (test/security/compiled-dto.spec.ts): refuse
    // all the same rather than accept a body the schema refused.
    throw new ProblemException(400, 'invalid-request', 'Invalid request body', 'the request body is invalid');
  }

  /**
   * What is wrong with `value`, as class-validator's errors: every key of the body the DTO does not declare (the
   * whitelist's "should not exist"), then class-validator's verdict on an instance carrying the declared ones. The
   * unknown keys are found here rather than by class-validator, which looks a key up among the DTO's rules in a plain
   * object — a key named like an Object.prototype member (`__proto__`, `constructor`, `hasOwnProperty`, …) passes its
   * whitelist, and an own `constructor` even hides the DTO's rules from it.
   */
  explain(value: unknown): ValidationError[] {
    const instance = new this.dto();
    const unknown: ValidationError[] = [];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      for (const key of Object.keys(value)) {
        if (this.properties.includes(key)) (instance as Record<string, unknown>)[key] = (value as Record<string, unknown>)[key];
        else unknown.push(Object.assign(new ValidationError(), { property: key, constraints: { whitelistValidation: `property ${key} should not exist` }, children: [] }));
      }
    }
    return [...unknown, ...validateSync(instance, DTO_VALIDATOR_OPTIONS)];
  }
}

const compiled = new Map<Function, CompiledDto<object>>();

/** Validate `dto` through its compiled schema wherever it is a request body (the ValidationPipe of validation.ts). */
export function compiledDto<T extends object>(dto: DtoClass<T>): CompiledDto<T> {
  let c = compiled.get(dto);
  if (!c) {
    c = new CompiledDto(dto);
    compiled.set(dto, c);
  }
  return c as CompiledDto<T>;
}

/** The compiled validator of a DTO class registered with `compiledDto`, if any. */
export function compiledDtoOf(metatype: unknown): CompiledDto<object> | undefined {
  return typeof metatype === 'function' ? compiled.get(metatype) : undefined;
}
