import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { CommandBus } from '@nestjs/cqrs';
import { NO_STREAM, SqliteEventStore, type ReadAllOptions } from '@corridor/ledger';
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

  const append = async (stream: string, count: number) => {
    for (let i = 0; i < count; i += 500) {
      const n = Math.min(500, count - i);
      await store.append(stream, Array.from({ length: n }, () => ({ id: randomUUID(), type: 'E', data: '{}' })), i === 0 ? NO_STREAM : i - 1);
    }
  };
  /** A saga receipt asking corridor `c1` for a transition. */
  const appendStep = (stream: string, step: string) => {
    const receipt = { sequence: 0, transition: { kind: 'migration.step', payload: { corridor_transition: { corridor_id: 'c1', kind: 'migration.step.completed', payload: { step } } } } };
    return store.append(stream, [{ id: randomUUID(), type: 'E', data: JSON.stringify(receipt) }], NO_STREAM);
  };
  /** Where each `readAll` the store was asked for started (0: the start of the log). */
  const starts = (spy: jest.SpyInstance) => spy.mock.calls.map(([o]: [ReadAllOptions]) => Number(o.fromPosition?.commit ?? 0));

  it('given a log of corridor events only, when passes run, then each reads from where the last one ended', async () => {
    await append('corridor-a', 3000);
    await manager.run(true);
    const readAll = jest.spyOn(store, 'readAll');

    await manager.run(true);

    expect(starts(readAll)).toEqual([3000]);
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
    expect(starts(readAll)).toEqual([1000]);
  });
});
