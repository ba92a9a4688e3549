import { EsdbEventStore } from '@corridor/ledger';
import { startFakeEventStore, type RunningFakeEventStore } from '../../../test/fakes/eventstore/fake-eventstore-server';
import { eventStoreContract, type ContractHarness } from './contract/event-store.contract';

/** The EventStoreDB adapter against the gRPC fake of the Streams API (CI has no EventStoreDB server). */
async function fakeHarness(batchAppend: boolean): Promise<ContractHarness> {
  let fake: RunningFakeEventStore = await startFakeEventStore({ batchAppend });
  let store = EsdbEventStore.connect(fake.connectionString);
  return {
    store: () => store,
    restart: async () => {
      // The server restarts with its data on the same port; the client is a new one, as after a process restart.
      await store.close();
      await fake.stop();
      fake = await startFakeEventStore({ batchAppend, state: fake.state, port: fake.port });
      store = EsdbEventStore.connect(fake.connectionString);
    },
    dispose: async () => {
      await store.close();
      await fake.stop();
    },
  };
}

eventStoreContract('EventStoreDB adapter on the gRPC fake (BatchAppend)', () => fakeHarness(true));
eventStoreContract('EventStoreDB adapter on the gRPC fake (Append)', () => fakeHarness(false));
