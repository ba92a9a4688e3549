import { CommandBus, EventBus } from '@nestjs/cqrs';
import { migrationSaga } from '@corridor/domain';
import { SqliteEventStore } from '@corridor/ledger';
import { appendEvents, readAllStarts } from '../../../../test/support/event-log';
import type { AggregateStore } from '../aggregates/aggregate-store';
import type { Clock } from '../aggregates/clock';
import type { NodeConfig } from '../config/node-config';
import type { MigrationSagaAggregate } from '../migration-sagas/migration-saga-aggregate';
import { MigrationDeadlineScheduler } from './migration-deadline.scheduler';

/** How the scheduler finds open sagas in the event store: every one, reading only what was appended since. */
describe('MigrationDeadlineScheduler: discovering sagas', () => {
  let store: SqliteEventStore;
  let scheduler: MigrationDeadlineScheduler;
  beforeEach(() => {
    store = SqliteEventStore.open({ path: ':memory:' });
    // Every saga the scheduler loads is open and far from its deadline: it stays in the open set, nothing is done.
    const aggregates = {
      load: async (_def: unknown, id: string) => ({
        state: { ...migrationSaga.initialMigrationSagaState(), migration_id: id, phase: 'transit', deadline: '2999-01-01T00:00:00Z' },
      }),
    } as unknown as AggregateStore;
    const clock = { nowUtc: () => '2026-01-01T00:00:00Z' } as Clock;
    const config = { schedulerIntervalMs: 60_000 } as NodeConfig;
    scheduler = new MigrationDeadlineScheduler(store, config, aggregates, {} as MigrationSagaAggregate, {} as CommandBus, {} as EventBus, clock);
  });
  afterEach(async () => {
    await scheduler.onModuleDestroy();
    await store.close();
  });

  const append = (stream: string, count: number) => appendEvents(store, stream, count);
  const openIds = () => scheduler.openMigrations().migrations.map((m) => m.migration_id);

  it('given a log of corridor events only, when passes run, then each reads from where the last one ended', async () => {
    await append('corridor-a', 3000);
    await scheduler.tick();
    const readAll = jest.spyOn(store, 'readAll');

    await scheduler.tick();

    expect(readAllStarts(readAll)).toEqual([{ commit: 3000n, prepare: 3000n }]);
    expect(openIds()).toEqual([]);
  });

  it('given a pass, when a saga starts behind many corridor events, then the next pass finds it', async () => {
    await append('corridor-a', 1000);
    await scheduler.tick();
    await append('corridor-b', 2000);
    await append('migration-m1', 1);
    const readAll = jest.spyOn(store, 'readAll');

    await scheduler.tick();

    expect(openIds()).toEqual(['m1']);
    expect(readAllStarts(readAll)).toEqual([{ commit: 1000n, prepare: 1000n }]);
  });
});
