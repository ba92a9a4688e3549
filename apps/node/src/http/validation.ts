import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { compiledDtoOf, DTO_VALIDATOR_OPTIONS, invalidRequest } from './compiled-dto';

export { fieldErrors } from './compiled-dto';

/**
 * DTO validation: unknown fields are refused (not silently dropped), and every failure is one RFC 9457 problem
 * listing each offending field. A request body whose DTO has a compiled schema (`compiledDto`, e.g. the hot
 * transition DTO) is validated by it instead: the same rules and problems, without class-transformer, and without
 * deleting `__proto__`/`constructor`/`prototype` keys from the body (see compiled-dto.ts).
 */
export function dtoValidationPipe(): ValidationPipe {
  return new CompiledDtoAwareValidationPipe({
    ...DTO_VALIDATOR_OPTIONS,
    transform: true,
    exceptionFactory: (errors) => invalidRequest(errors),
  });
}

/** The global pipe (exported for the transition lane's check that it is the only one). */
export class CompiledDtoAwareValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const compiled = metadata.type === 'body' ? compiledDtoOf(metadata.metatype) : undefined;
    if (compiled) return compiled.validate(value);
    return super.transform(value, metadata);
  }
}
