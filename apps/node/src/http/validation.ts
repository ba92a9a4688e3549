import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { ProblemException, type ProblemFieldError } from './problem';

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

/**
 * DTO validation: unknown fields are refused (not silently dropped), and every failure is one RFC 9457 problem
 * listing each offending field.
 */
export function dtoValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const list = fieldErrors(errors);
      return new ProblemException(400, 'invalid-request', 'Invalid request body', list.map((f) => `${f.pointer}: ${f.detail}`).join('; ') || 'the request body is invalid', { errors: list });
    },
  });
}
