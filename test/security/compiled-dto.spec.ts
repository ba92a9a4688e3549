import 'reflect-metadata';
import fc from 'fast-check';
import { ValidationPipe } from '@nestjs/common';
import { IsObject, IsString, MaxLength } from 'class-validator';
import { parseJsonText } from '@corridor/protocol';
import { CompiledDto, DTO_VALIDATOR_OPTIONS, invalidRequest } from '../../apps/node/src/http/compiled-dto';
import { ProblemException } from '../../apps/node/src/http/problem';
import { dtoValidationPipe } from '../../apps/node/src/http/validation';
import { RECORD_TRANSITION_BODY, RecordTransitionDto } from '../../apps/node/src/corridors/record-transition/record-transition.dto';

/**
 * The hot transition DTO is validated by a JSON Schema compiled from its class-validator rules
 * (apps/node/src/http/compiled-dto.ts). It must accept exactly what class-validator (through Nest's ValidationPipe,
 * as every other DTO) accepts, and refuse with the same problem — except that it never deletes keys from the body.
 */
describe('compiled DTO validation', () => {
  /** The node's ValidationPipe as it was before compiled DTOs (the reference). */
  const reference = new ValidationPipe({ ...DTO_VALIDATOR_OPTIONS, transform: true, exceptionFactory: (errors) => invalidRequest(errors) });
  const metadata = { type: 'body' as const, metatype: RecordTransitionDto, data: undefined };

  async function outcome(run: () => unknown): Promise<{ ok: true; value: unknown } | { ok: false; status: number; detail: string; errors: unknown }> {
    try {
      const value = await run();
      return { ok: true, value: JSON.parse(JSON.stringify(value)) };
    } catch (e) {
      if (!(e instanceof ProblemException)) throw e;
      return { ok: false, status: e.status, detail: e.detail, errors: e.extensions.errors };
    }
  }

  it('compiles the transition DTO to the schema of its rules', () => {
    expect(RECORD_TRANSITION_BODY.schema).toEqual({ type: 'object', required: ['transition'], properties: { transition: { type: 'object' } }, additionalProperties: false });
  });

  it('refuses to compile a rule it has no exact schema for', () => {
    class Limited {
      @IsString()
      @MaxLength(3)
      name!: string;
    }
    expect(() => new CompiledDto(Limited)).toThrow(/maxLength cannot be compiled/);
  });

  // Keys that are not named like Object.prototype members: there the reference pipe changes nothing of the body.
  const key = fc.constantFrom('transition', 'kind', 'payload', 'extra', 'amount', 'Transition', '');
  const leaf = fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean(), fc.constant(null), fc.constant([]), fc.constant({}));
  const value = fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(key, leaf, { maxKeys: 3 }));
  const body = fc.oneof(fc.constant(undefined), fc.dictionary(key, value, { maxKeys: 4 }), fc.record({ transition: value }), fc.record({ transition: fc.dictionary(key, value, { maxKeys: 3 }) }));

  it('accepts and refuses exactly as class-validator through the ValidationPipe, with the same problem', async () => {
    const pipe = dtoValidationPipe();
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const compiled = await outcome(() => pipe.transform(b === undefined ? undefined : structuredClone(b), metadata));
        const expected = await outcome(() => reference.transform(b === undefined ? undefined : structuredClone(b), metadata));
        expect(compiled).toEqual(expected);
        if (compiled.ok) expect((await pipe.transform(structuredClone(b), metadata)) as object).toBeInstanceOf(RecordTransitionDto);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps prototype-named keys of a transition as sent, and refuses them as unknown fields at the top level', async () => {
    const pipe = dtoValidationPipe();
    const sent = parseJsonText('{"transition":{"kind":"k","payload":{"__proto__":{"a":1},"constructor":{"prototype":2},"prototype":3,"toString":4,"hasOwnProperty":5}}}') as Record<string, any>;
    const dto = (await pipe.transform(sent, metadata)) as RecordTransitionDto;
    expect(Object.keys(dto.transition.payload as object)).toEqual(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']);
    expect(Object.getPrototypeOf(dto.transition.payload)).toBe(Object.prototype);
    // The reference pipe deleted them: the difference this change makes.
    const stripped = (await reference.transform(parseJsonText(JSON.stringify(sent)), metadata)) as RecordTransitionDto;
    expect(Object.keys(stripped.transition.payload as object)).not.toContain('__proto__');

    for (const k of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty']) {
      const refused = await outcome(() => pipe.transform(parseJsonText(`{"transition":{},"${k}":{}}`), metadata));
      expect(refused).toEqual({ ok: false, status: 400, detail: `/${k}: property ${k} should not exist`, errors: [{ pointer: `/${k}`, detail: `property ${k} should not exist` }] });
    }
    const several = await outcome(() => pipe.transform(parseJsonText('{"constructor":1,"transition":5,"toString":2}'), metadata));
    expect(several).toMatchObject({ ok: false, errors: [{ pointer: '/constructor' }, { pointer: '/toString' }, { pointer: '/transition', detail: 'transition must be an object' }] });
  });

  it('leaves every other DTO to the ValidationPipe', async () => {
    class Named {
      @IsObject()
      thing!: object;
    }
    const pipe = dtoValidationPipe();
    // Not registered: the ValidationPipe's rules (and its deletion of __proto__ keys) apply as before.
    const r = (await pipe.transform(parseJsonText('{"thing":{"__proto__":{"a":1},"b":2}}'), { type: 'body', metatype: Named, data: undefined })) as Named;
    expect(r).toBeInstanceOf(Named);
    expect(Object.keys(r.thing)).toEqual(['b']);
  });
});
