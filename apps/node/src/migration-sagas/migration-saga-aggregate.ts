import { Injectable } from '@nestjs/common';
import { aggregateGenesis, migrationSaga, migrationSagaDecider, RECEIPT_CHAINS, rulesetDigestSet } from '@corridor/domain';
import type { ChainProfile } from '@corridor/ledger';
import type { AggregateDefinition, AggregateView } from '../aggregates/aggregate-definition';
import { eventEnvelopeCodec, type StreamCodec } from '../aggregates/stream-codec';

type SagaState = migrationSaga.MigrationSagaState;
type SagaEvent = migrationSaga.MigrationSagaEvent;
type SagaCommand = migrationSaga.MigrationSagaCommand;

const CHAIN = RECEIPT_CHAINS['migration-saga'];
const RULESETS = rulesetDigestSet(CHAIN);

/** Migration ids name streams and URL segments: lower-case letters, digits, dots, dashes, underscores. */
export const MIGRATION_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,199}$/;

export const MIGRATION_STREAM_PREFIX = 'migration-';
export const migrationStream = (id: string) => `${MIGRATION_STREAM_PREFIX}${id}`;

/** What the saga was started with that its decider state does not keep. */
export interface MigrationStartFacts {
  corridor_genesis_root: string;
  source_jurisdiction: string;
  destination_jurisdiction: string;
  started_at: string;
}

export interface MigrationSagaView extends AggregateView<SagaState> {
  started: MigrationStartFacts | null;
}

/**
 * The chain profile of a saga's receipt chain (spec/receipt-chains.md): `MSEZMigrationSagaReceipt` naming the
 * saga by `migration_id`, carrying its `corridor_id`, chained from a genesis bound to the corridor instance (the
 * corridor genesis root recorded when the saga started), committing to the saga policy.
 */
export function migrationSagaChainProfile(id: string, view: MigrationSagaView): ChainProfile {
  const corridorId = view.state.corridor_id;
  if (corridorId === null || view.started === null) throw new Error(`migration ${id} has no receipt chain before it is started`);
  return {
    receiptType: CHAIN.receiptType,
    subjectField: CHAIN.subjectField,
    subjectId: id,
    extraFields: { corridor_id: corridorId },
    genesisRoot: aggregateGenesis(CHAIN, { subject_id: id, corridor_id: corridorId, corridor_genesis_root: view.started.corridor_genesis_root }).genesis_root,
    lawpackDigestSet: [],
    rulesetDigestSet: RULESETS,
  };
}

/** A migration saga: one receipt chain, `migration-<migration_id>`. */
@Injectable()
export class MigrationSagaAggregate implements AggregateDefinition<SagaCommand, SagaEvent, SagaState, MigrationSagaView> {
  readonly name = 'migration';
  readonly decider = migrationSagaDecider;

  streams(id: string): string[] {
    return [migrationStream(id)];
  }

  streamOf(id: string): string {
    return migrationStream(id);
  }

  codec(): StreamCodec {
    return eventEnvelopeCodec;
  }

  profile(id: string, _stream: string, view: MigrationSagaView): ChainProfile {
    return migrationSagaChainProfile(id, view);
  }

  emptyView(): MigrationSagaView {
    return { state: migrationSagaDecider.initialState(), revisions: {}, started: null };
  }

  fold(view: MigrationSagaView, event: SagaEvent, stream: string, revision: number): MigrationSagaView {
    let started = view.started;
    if (event.type === migrationSaga.MIGRATION_SAGA_EVENT_TYPES.started) {
      const d = event.data as migrationSaga.MigrationStartedData;
      started = { corridor_genesis_root: d.corridor_genesis_root, source_jurisdiction: d.source_jurisdiction, destination_jurisdiction: d.destination_jurisdiction, started_at: d.at };
    }
    return { state: migrationSagaDecider.evolve(view.state, event), revisions: { ...view.revisions, [stream]: revision }, started };
  }
}
