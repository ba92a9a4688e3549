import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import { CommandGate } from '../health/command-gate';
import type { IdempotencyStore } from '../idempotency/idempotency.store';
import type { PeeringStore } from '../peering/peering.store';
import { IDEMPOTENCY_STORE, PEERING_STORE } from './tokens';

/**
 * The node's lifecycle around its stores: the command gate (which requests are admitted, and which are still in
 * flight: readiness and the graceful shutdown read it, spec/operations.md), and the stores closed last, after HTTP
 * has stopped taking requests and in-flight ones have finished.
 */
@Injectable()
export class LedgerLifecycle implements OnApplicationShutdown {
  readonly gate = new CommandGate();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(IDEMPOTENCY_STORE) private readonly idempotency: IdempotencyStore,
    @Inject(PEERING_STORE) private readonly peering: PeeringStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // Anything still asking (a shutdown without the graceful sequence, e.g. a test's app.close()) is refused from now.
    this.gate.beginDrain();
    await this.store.close();
    this.idempotency.close();
    this.peering.close();
    this.gate.enter('stopped');
  }
}
