import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { nextSchedulerInstruction } from '@corridor/domain';
import { AggregateStore } from '../../aggregates/aggregate-store';
import { Clock } from '../../aggregates/clock';
import { ChainReader } from '../../chains/chain-reader';
import { problem } from '../../http/problem';
import { MigrationSagaAggregate, migrationStream } from '../migration-saga-aggregate';
import { GetMigrationQuery } from './get-migration.query';

/** A saga as operators and workers see it: phase, compensation progress, what the scheduler does next, chain head. */
@QueryHandler(GetMigrationQuery)
export class GetMigrationHandler implements IQueryHandler<GetMigrationQuery> {
  constructor(
    private readonly store: AggregateStore,
    private readonly sagas: MigrationSagaAggregate,
    private readonly chains: ChainReader,
    private readonly clock: Clock,
  ) {}

  async execute({ migrationId }: GetMigrationQuery) {
    const view = await this.store.load(this.sagas, migrationId);
    const s = view.state;
    if (s.migration_id === null || view.started === null) throw problem.notFound('migration', migrationId);
    const stream = migrationStream(migrationId);
    const head = await this.chains.head(stream);
    const next = nextSchedulerInstruction(s, this.clock.nowUtc());
    return {
      migration_id: s.migration_id,
      corridor_id: s.corridor_id,
      corridor_genesis_root: view.started.corridor_genesis_root,
      asset_id: s.asset_id,
      source_jurisdiction: view.started.source_jurisdiction,
      destination_jurisdiction: view.started.destination_jurisdiction,
      started_at: view.started.started_at,
      deadline: s.deadline,
      phase: s.phase,
      updated_at: s.updated_at,
      compensation: s.compensation,
      // What the deadline scheduler does about the saga now (an `expire` is issued by the node itself).
      scheduler: next.do === 'expire' ? { do: 'expire' } : next,
      chain: head ? { stream, sequence: head.revision, next_root: head.nextRoot, mmr: head.mmr } : { stream, sequence: null, next_root: null, mmr: null },
    };
  }
}
