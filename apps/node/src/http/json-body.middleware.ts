import type { NextFunction, Request, Response } from 'express';
import { parseJsonText, ProtocolError } from '@corridor/protocol';
import { ProblemException } from './problem';

/**
 * Request bodies are parsed from their JSON *text* by the protocol's parser, so the node decides on what
 * the sender wrote: `1.0` or `1e2` is refused (floats are not allowed anywhere in the protocol), integers
 * beyond 2^53 stay exact, and `__proto__` is an ordinary key. Runs after express.text() has read the raw
 * body (with its size limit).
 */
export function jsonTextBody(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE' || req.method === 'OPTIONS') return next();
  const raw = req.body;
  const length = Number(req.headers['content-length'] ?? 0);
  const hasBody = (typeof raw === 'string' && raw.length > 0) || length > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    req.body = undefined;
    return next();
  }
  if (typeof raw !== 'string') {
    return next(new ProblemException(415, 'unsupported-media-type', 'Unsupported media type', `send the body as application/json, not ${req.headers['content-type'] ?? 'no content type'}`));
  }
  try {
    const body = parseJsonText(raw);
    // Every request body of this API is a JSON object; anything else (a bare number — big integers are bigint —,
    // a string, an array) would reach the DTO layer in shapes it was never written for.
    // The one exception: a batch of peer messages (batched-mode CloudEvents) is an array, and only that route takes it.
    if (Array.isArray(body) && isPeerBatch(req)) {
      req.body = body;
      return next();
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return next(new ProblemException(400, 'invalid-request', 'Invalid request body', `the request body must be a JSON object, not ${body === null ? 'null' : Array.isArray(body) ? 'an array' : typeof body === 'bigint' ? 'a number' : `a ${typeof body}`}`));
    }
    req.body = body;
    next();
  } catch (e) {
    if (e instanceof ProtocolError) {
      next(new ProblemException(400, e.code, e.code === 'float-not-allowed' ? 'Floats are not allowed' : 'Malformed JSON', e.message));
    } else next(e);
  }
}

/** `POST /peering/messages` with `Content-Type: application/cloudevents-batch+json`. */
function isPeerBatch(req: Request): boolean {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/cloudevents-batch+json' && req.method === 'POST' && req.path === '/peering/messages';
}
