import type { NextFunction, Request, Response } from 'express';
import { canonicalize, sha256Hex } from '@corridor/protocol';
import { ProblemException } from '../http/problem';
import type { IdempotencyStore } from './idempotency.store';
import { requestContext } from './request-context';

/** Finds, in a stream, the answer to a command that carried this key (the event metadata records the key). */
export type InDoubtResolver = (stream: string, key: string) => Promise<{ status: number; body: string } | undefined>;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on mutating requests: the same key with the same request gets the same answer and the
 * command takes effect once — also across a crash of the node between the append and the answer. The same key
 * with a different request is refused (422); while the first request is running, a second gets 409.
 */
export function idempotencyMiddleware(store: IdempotencyStore, resolveInDoubt: InDoubtResolver) {
  const inFlight = new Set<string>();
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH' && req.method !== 'DELETE') return next();
    const key = req.header('idempotency-key');
    if (key === undefined) return requestContext.run({}, next);
    if (!KEY_PATTERN.test(key)) {
      return next(new ProblemException(400, 'invalid-idempotency-key', 'Invalid Idempotency-Key', 'Idempotency-Key must be 1–255 visible ASCII characters'));
    }
    const fingerprint = sha256Hex(`${req.method} ${req.path}\n${req.body === undefined ? '' : canonicalize(req.body)}`);
    try {
      const existing = store.get(key);
      if (existing && existing.fingerprint !== fingerprint) {
        return next(new ProblemException(422, 'idempotency-key-reused', 'Idempotency-Key reused', `key ${JSON.stringify(key)} was already used for a different request`));
      }
      if (existing?.state === 'done') return replay(res, existing.answer);
      if (inFlight.has(key)) {
        return next(new ProblemException(409, 'idempotency-key-in-flight', 'Request in progress', `a request with key ${JSON.stringify(key)} is still being processed; retry later`));
      }
      if (existing?.state === 'in-doubt' && existing.stream) {
        const answer = await resolveInDoubt(existing.stream, key);
        if (answer) {
          store.finish(key, answer);
          return replay(res, answer);
        }
      }
      store.begin(key, fingerprint);
    } catch (e) {
      return next(e);
    }
    inFlight.add(key);
    const send = res.send.bind(res);
    res.send = ((body?: unknown) => {
      const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body ?? '');
      if (res.statusCode >= 500) store.forget(key);
      else store.finish(key, { status: res.statusCode, body: text });
      inFlight.delete(key);
      return send(body as never);
    }) as Response['send'];
    res.on('close', () => inFlight.delete(key));
    requestContext.run({ idempotencyKey: key, onTargetStream: (stream) => store.targetStream(key, stream) }, next);
  };
}

function replay(res: Response, answer: { status: number; body: string }): void {
  const problem = answer.status >= 400;
  res.status(answer.status).setHeader('Idempotent-Replayed', 'true');
  res.type(problem ? 'application/problem+json' : 'application/json').send(answer.body);
}
