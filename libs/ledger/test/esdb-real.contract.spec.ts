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
  describe('event store contract: real EventStoreDB', () => {
    it.skip('runs only when EVENTSTORE_URL is set', () => undefined);
  });
}
