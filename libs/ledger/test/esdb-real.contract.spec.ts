import { EsdbEventStore } from '@corridor/ledger';
import { eventStoreContract } from './contract/event-store.contract';

/**
 * The same contract against a real EventStoreDB, e.g. `docker compose -f docker/compose.eventstore.yaml up -d`
 * then `EVENTSTORE_URL='esdb://127.0.0.1:2113?tls=false' npx jest libs/ledger/test/esdb-real`.
 */
const url = process.env.EVENTSTORE_URL;

if (url) {
  eventStoreContract(`EventStoreDB at ${url}`, async () => {
    let store = EsdbEventStore.connect(url);
    return {
      store: () => store,
      restart: async () => {
        await store.close();
        store = EsdbEventStore.connect(url);
      },
      dispose: () => store.close(),
    };
  });
} else {
  // No EventStoreDB server can run on the build machines; say so in the run's output, not only in the summary.
  process.stdout.write('event store contract against a real EventStoreDB: skipped because EVENTSTORE_URL is not set (see README, "Event store")\n');
  describe('event store contract: real EventStoreDB', () => {
    it.skip('runs only when EVENTSTORE_URL is set', () => undefined);
  });
}
