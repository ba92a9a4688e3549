import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { map, type Observable } from 'rxjs';
import { canonicalJson } from './canonical-json';

/**
 * Responses are canonical JSON: integers beyond 2^53 stay exact (JSON.stringify cannot print a bigint), and
 * the bytes a client hashes are the bytes the node hashed.
 */
@Injectable()
export class CanonicalJsonInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const res = context.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((value) => {
        if (value === undefined || typeof value === 'string' || Buffer.isBuffer(value)) return value;
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        return canonicalJson(value);
      }),
    );
  }
}
