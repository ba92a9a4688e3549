import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectionRuntime } from '../../projections/projection-runtime';
import { AttestationsQuery, CorridorsQuery, DisputesQuery, MigrationsQuery, TensorQuery, AtQuery } from './regulator.dto';
import { RegulatorReads } from './regulator-reads';

/**
 * The regulator API: read-only views of the node's projections. Every request needs a regulator's bearer token
 * and is on the access audit trail. Answers say which projection generation and checkpoint they were read at
 * (`read`), and carry the tensor commitment (`tensor`) where compliance is involved.
 */
@ApiTags('regulator')
@ApiBearerAuth()
@Controller('regulator')
export class RegulatorController {
  constructor(
    private readonly reads: RegulatorReads,
    private readonly projections: ProjectionRuntime,
  ) {}

  @Get('dashboard')
  @ApiOperation({ summary: 'Summary: corridors by state and finality, tensor commitment, open disputes and sagas, active watchers, projection status' })
  dashboard() {
    return this.reads.dashboard();
  }

  @Get('corridors')
  @ApiOperation({ summary: 'Corridors (optionally in one lifecycle state) with their heads and head finality' })
  corridors(@Query() q: CorridorsQuery) {
    return this.reads.corridors(q.state, { after: q.after, limit: q.limit });
  }

  @Get('corridors/:id')
  @ApiOperation({ summary: "A corridor's status: state, heads, MMR root, checkpoints, finality, bonded watchers and quorum" })
  corridor(@Param('id') id: string) {
    return this.reads.corridor(id);
  }

  @Get('corridors/:id/watchers')
  @ApiOperation({ summary: "The corridor's watcher quorum: bonded watchers, quorum size, attesters of the head, stake at risk" })
  watchers(@Param('id') id: string) {
    return this.reads.watcherQuorum(id);
  }

  @Get('tensor')
  @ApiOperation({ summary: 'A tensor slice by entity, jurisdiction and/or domain, evaluated at `at`; dense (all domains) when entity and jurisdiction are given' })
  tensor(@Query() q: TensorQuery) {
    return this.reads.tensorSlice({ subject: q.entity, jurisdiction: q.jurisdiction, domain: q.domain }, q.at, { after: q.after, limit: q.limit });
  }

  @Get('tensor/commitment')
  @ApiOperation({ summary: 'The tensor commitment and the checkpoint it is at' })
  commitment() {
    return this.reads.commitment();
  }

  @Get('tensor/heatmap')
  @ApiOperation({ summary: 'Cells per jurisdiction × domain, counted by state at `at`' })
  heatmap(@Query() q: AtQuery) {
    return this.reads.heatmap(q.at);
  }

  @Get('attestations')
  @ApiOperation({ summary: 'Attestations by jurisdiction, entity, type (domain), status (valid, expired, revoked) and issuer; paged' })
  attestations(@Query() q: AttestationsQuery) {
    return this.reads.attestations({ jurisdiction: q.jurisdiction, entity: q.entity, type: q.type, status: q.status, issuer: q.issuer, at: q.at }, { after: q.after, limit: q.limit });
  }

  @Get('disputes')
  @ApiOperation({ summary: 'The dispute docket, filtered by status, open, corridor or party (one filter at a time)' })
  disputes(@Query() q: DisputesQuery) {
    return this.reads.disputes({ status: q.status, open: q.open, corridor: q.corridor, party: q.party }, { after: q.after, limit: q.limit });
  }

  @Get('disputes/:id')
  @ApiOperation({ summary: 'One dispute' })
  dispute(@Param('id') id: string) {
    return this.reads.dispute(id);
  }

  @Get('migrations')
  @ApiOperation({ summary: 'Migration sagas, filtered to open ones, a corridor, an asset or a phase' })
  migrations(@Query() q: MigrationsQuery) {
    return this.reads.migrations({ open: q.open, corridor: q.corridor, asset: q.asset, phase: q.phase }, { after: q.after, limit: q.limit });
  }

  @Get('migrations/:id')
  @ApiOperation({ summary: 'One migration saga' })
  migration(@Param('id') id: string) {
    return this.reads.migration(id);
  }

  @Get('projections')
  @ApiOperation({ summary: 'The projections: generation, state, position, events folded, metadata' })
  status() {
    return { backend: this.projections.backend, projections: this.projections.status() };
  }
}
