import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_STORE, type EventStore } from '@corridor/ledger';
import type { IdempotencyStore } from '../idempotency/idempotency.store';
import type { PeeringStore } from '../peering/peering.store';
import { IDEMPOTENCY_STORE, PEERING_STORE } from './tokens';

/** Closes the stores last, after HTTP has stopped taking requests and in-flight ones have finished. */
@Injectable()
export class LedgerLifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(IDEMPOTENCY_STORE) private readonly idempotency: IdempotencyStore,
    @Inject(PEERING_STORE) private readonly peering: PeeringStore,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    this.idempotency.close();
    this.peering.close();
  }
}
