import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { NO_STREAM, SqliteEventStore } from '@corridor/ledger';
import { appendEvents, readAllStarts } from '../../../../test/support/event-log';
import type { ChainReader } from '../chains/chain-reader';
import type { NodeConfig } from '../config/node-config';
import { RecordCorridorTransitionCommand } from '../corridors/record-transition/record-transition.command';
import { CorridorTransitionProcessManager } from './corridor-transition.process-manager';

/** How the process manager finds in the event store what sagas and disputes ask of a corridor. */
describe('CorridorTransitionProcessManager: scanning the log', () => {
  let store: SqliteEventStore;
  let manager: CorridorTransitionProcessManager;
  let recorded: RecordCorridorTransitionCommand[];
  beforeAll(() => Logger.overrideLogger(false)); // it logs each transition it records
  beforeEach(() => {
    store = SqliteEventStore.open({ path: ':memory:' });
    recorded = [];
    const commands = { execute: async (c: RecordCorridorTransitionCommand) => void recorded.push(c) } as unknown as CommandBus;
    const chains = { receipts: async (stream: string) => ({ stream, receipts: [], head: null }) } as unknown as ChainReader;
    manager = new CorridorTransitionProcessManager(store, { schedulerIntervalMs: 60_000 } as NodeConfig, commands, chains);
  });
  afterEach(async () => {
    await manager.onModuleDestroy();
    await store.close();
  });

  const append = (stream: string, count: number) => appendEvents(store, stream, count);
  /** A saga receipt asking corridor `c1` for a transition. */
  const appendStep = (stream: string, step: string) => {
    const receipt = { sequence: 0, transition: { kind: 'migration.step', payload: { corridor_transition: { corridor_id: 'c1', kind: 'migration.step.completed', payload: { step } } } } };
    return store.append(stream, [{ id: randomUUID(), type: 'E', data: JSON.stringify(receipt) }], NO_STREAM);
  };

  it('given a log of corridor events only, when passes run, then each reads from where the last one ended', async () => {
    await append('corridor-a', 3000);
    await manager.run(true);
    const readAll = jest.spyOn(store, 'readAll');

    await manager.run(true);

    expect(readAllStarts(readAll)).toEqual([{ commit: 3000n, prepare: 3000n }]);
    expect(recorded).toEqual([]);
  });

  it('given a pass, when a saga asks for a transition behind many corridor events, then the next pass records it', async () => {
    await append('corridor-a', 1000);
    await manager.run(true);
    await append('corridor-b', 2000);
    await appendStep('migration-m1', 'source_lock');
    const readAll = jest.spyOn(store, 'readAll');

    await manager.run(true);

    expect(recorded.map((c) => [c.corridorId, c.transition])).toEqual([['c1', { kind: 'migration.step.completed', payload: { step: 'source_lock' } }]]);
    expect(readAllStarts(readAll)).toEqual([{ commit: 1000n, prepare: 1000n }]);
  });
});
