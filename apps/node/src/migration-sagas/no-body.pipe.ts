import { Injectable, type PipeTransform } from '@nestjs/common';
import { ProblemException } from '../http/problem';

/**
 * For commands that take no body (expire, unbond, withdraw, enforce): none or `{}` is accepted, anything else is
 * refused like an unknown field of a DTO, never silently ignored.
 */
@Injectable()
export class NoBodyPipe implements PipeTransform<unknown, undefined> {
  transform(value: unknown): undefined {
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    if (value === undefined || (isObject && Object.keys(value).length === 0)) return undefined;
    const errors = isObject ? Object.keys(value).map((f) => ({ pointer: `/${f}`, detail: `property ${f} should not exist` })) : [{ pointer: '', detail: 'this command takes no body' }];
    throw new ProblemException(400, 'invalid-request', 'Invalid request body', errors.map((e) => `${e.pointer}: ${e.detail}`).join('; '), { errors });
  }
}
