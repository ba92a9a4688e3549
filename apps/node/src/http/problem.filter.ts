import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { DomainError } from '@corridor/domain';
import { PROBLEM_BASE_URI, ProtocolError } from '@corridor/protocol';
import type { Request, Response } from 'express';
import { domainProblem } from './domain-errors';
import { ProblemException, type ProblemDocument } from './problem';

/**
 * Renders every failure as `application/problem+json`. Client mistakes keep their precise type and detail;
 * anything unexpected becomes a bare 500 whose detail names no internals (the cause goes to the log only).
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const doc = this.toProblem(exception, req.originalUrl ?? req.url);
    if (doc.status >= 500) this.logger.error(`${req.method} ${req.originalUrl}: ${(exception as Error)?.stack ?? String(exception)}`);
    if (res.headersSent) return;
    res.status(doc.status).type('application/problem+json').send(JSON.stringify(doc));
  }

  private toProblem(exception: unknown, instance: string): ProblemDocument {
    if (exception instanceof ProblemException) return exception.toDocument(instance);
    if (exception instanceof DomainError) return domainProblem(exception).toDocument(instance);
    if (hasProblem(exception)) return { ...exception.toProblem(), instance };
    if (exception instanceof ProtocolError) {
      return { type: PROBLEM_BASE_URI + exception.code, title: 'Invalid input', status: 400, detail: exception.message, instance };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const slug = status === 404 ? 'not-found' : status === 413 ? 'payload-too-large' : status === 405 ? 'method-not-allowed' : `http-${status}`;
      return { type: PROBLEM_BASE_URI + slug, title: exception.message, status, detail: describe(exception), instance };
    }
    const bodyParserError = exception as { type?: string; status?: number; limit?: number };
    if (bodyParserError?.type === 'entity.too.large') {
      return { type: PROBLEM_BASE_URI + 'payload-too-large', title: 'Payload too large', status: 413, detail: `request body exceeds ${bodyParserError.limit} bytes`, instance };
    }
    if (typeof bodyParserError?.status === 'number' && bodyParserError.status >= 400 && bodyParserError.status < 500 && typeof bodyParserError.type === 'string') {
      return { type: PROBLEM_BASE_URI + 'invalid-body', title: 'Unreadable request body', status: bodyParserError.status, detail: bodyParserError.type, instance };
    }
    return { type: PROBLEM_BASE_URI + 'internal-error', title: 'Internal error', status: 500, detail: 'the node failed to process the request; the failure has been logged', instance };
  }
}

/** Errors of other layers (e.g. the ledger's WrongExpectedRevisionError) may render themselves. */
function hasProblem(e: unknown): e is { toProblem(): ProblemDocument } {
  return typeof (e as { toProblem?: unknown })?.toProblem === 'function';
}

function describe(e: HttpException): string {
  const r = e.getResponse();
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  return Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : e.message;
}
