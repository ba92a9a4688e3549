import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { canonicalize, sha256Hex } from '@corridor/protocol';
import { ProblemException } from '../http/problem';
import type { IdempotencyRecord, IdempotencyStore } from './idempotency.store';
import { requestContext } from './request-context';

const logger = new Logger('Idempotency');

/** Finds, in a stream, the answer to a command that carried this key (the event metadata records the key). */
export type InDoubtResolver = (stream: string, key: string) => Promise<{ status: number; body: string } | undefined>;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on mutating requests: the same key with the same request gets the same answer and the
 * command takes effect once — also across a crash of the node between the append and the answer. The same key
 * with a different request is refused (422); while the first request is running, a second gets 409.
 *
 * The records are written durably before the command runs and before its answer is sent (group-committed with the
 * other requests' writes: see IdempotencyStore), so a client never holds an answer a retry could not get again.
 */
export function idempotencyMiddleware(store: IdempotencyStore, resolveInDoubt: InDoubtResolver) {
  /** The requests being processed, by key. Their records may not be committed yet: their fingerprints are here. */
  const inFlight = new Map<string, { fingerprint: string }>();
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH' && req.method !== 'DELETE') return next();
    const key = req.header('idempotency-key');
    // No key, no request context: a request arrives outside any context already, and the first `run` would switch
    // on Node's promise hooks for good — a cost on every promise of the process, paid by every request.
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      return next(new ProblemException(400, 'invalid-idempotency-key', 'Invalid Idempotency-Key', 'Idempotency-Key must be 1–255 visible ASCII characters'));
    }
    const fingerprint = sha256Hex(`${req.method} ${req.path}\n${req.body === undefined ? '' : canonicalize(req.body)}`);
    let existing: IdempotencyRecord | undefined;
    try {
      existing = store.get(key);
    } catch (e) {
      return next(e);
    }
    const known = existing?.fingerprint ?? inFlight.get(key)?.fingerprint;
    if (known !== undefined && known !== fingerprint) {
      return next(new ProblemException(422, 'idempotency-key-reused', 'Idempotency-Key reused', `key ${JSON.stringify(key)} was already used for a different request`));
    }
    if (existing?.state === 'done') return replay(res, existing.answer);
    if (inFlight.has(key)) {
      return next(new ProblemException(409, 'idempotency-key-in-flight', 'Request in progress', `a request with key ${JSON.stringify(key)} is still being processed; retry later`));
    }
    // Claimed before anything is awaited, so that a second request with the key meanwhile gets 409 (or 422).
    const claim = { fingerprint };
    inFlight.set(key, claim);
    const release = () => inFlight.get(key) === claim && inFlight.delete(key);
    try {
      if (existing?.state === 'in-doubt' && existing.stream) {
        const answer = await resolveInDoubt(existing.stream, key);
        if (answer) {
          await store.finish(key, answer);
          release();
          return replay(res, answer);
        }
      }
      await store.begin(key, fingerprint);
    } catch (e) {
      release();
      return next(e);
    }
    answerOnceRecorded(res, key, store, release);
    res.on('close', release);
    requestContext.run({ idempotencyKey: key, onTargetStream: (stream) => store.targetStream(key, stream) }, next);
  };
}

/**
 * Records the answer (a 5xx forgets the key instead, so the client can retry) and sends it once that is durable. If
 * recording fails, the answer is sent all the same: the key stays in doubt and a retry resolves it from the stream.
 */
function answerOnceRecorded(res: Response, key: string, store: IdempotencyStore, release: () => void): void {
  const send = res.send.bind(res);
  res.send = ((body?: unknown) => {
    const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body ?? '');
    const recorded = res.statusCode >= 500 ? store.forget(key) : store.finish(key, { status: res.statusCode, body: text });
    void recorded
      .catch((e: unknown) => logger.error(`Idempotency-Key ${JSON.stringify(key)}: the answer could not be recorded: ${(e as Error)?.message ?? e}`))
      .finally(() => {
        release();
        send(body as never);
      });
    return res;
  }) as Response['send'];
}

function replay(res: Response, answer: { status: number; body: string }): void {
  const problem = answer.status >= 400;
  res.status(answer.status).setHeader('Idempotent-Replayed', 'true');
  res.type(problem ? 'application/problem+json' : 'application/json').send(answer.body);
}
