import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Per-request facts the command path needs deep below the controller without threading them through every
 * signature: the Idempotency-Key (written into the appended events' metadata) and a hook that tells the
 * idempotency layer which stream the command targets.
 */
export interface RequestContext {
  idempotencyKey?: string;
  /** Resolves once the target is recorded durably: the command appends only after that. */
  onTargetStream?: (stream: string) => Promise<void> | void;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

export function currentRequestContext(): RequestContext | undefined {
  return requestContext.getStore();
}
